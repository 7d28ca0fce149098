"""The administrator's pages: accounts (create, reset a password, a reviewer's clusters), cycle windows, per-unit extensions."""

from __future__ import annotations

import datetime as dt
import re

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import DateField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from forms_app.rules import accounts
from forms_app.adapters.web.context import accounts_db, forms_db
from forms_app.rules.accounts import AccountError
from forms_app.adapters.web.auth import account_message, role_required
from forms_app.data.connection import write
from forms_app.data.clock import stamp
from forms_app.adapters.web.i18n import VietnameseMeta
from forms_app.rules.submitting import audit
from forms_app.rules.units import cluster_names, match_clusters

bp = Blueprint("admin", __name__, url_prefix="/admin")


class UserForm(FlaskForm):
    class Meta(VietnameseMeta):
        pass

    username = StringField(validators=[DataRequired(), Length(max=64)])
    role = SelectField(choices=[SelectChoice(role) for role in ("unit", "reviewer", "admin")])
    unit_code = StringField(validators=[Optional(), Length(max=64)])
    clusters = StringField(validators=[Optional(), Length(max=2000)])
    password = PasswordField(validators=[DataRequired(), Length(max=256)])


class ResetForm(FlaskForm):
    class Meta(VietnameseMeta):
        pass

    password = PasswordField(validators=[DataRequired(), Length(max=256)])


class CycleForm(FlaskForm):
    class Meta(VietnameseMeta):
        pass

    opens = DateField(validators=[DataRequired()])
    closes = DateField(validators=[DataRequired()])


class ExtensionForm(FlaskForm):
    class Meta(VietnameseMeta):
        pass

    unit_code = StringField(validators=[DataRequired(), Length(max=64)])
    form_id = StringField(validators=[DataRequired(), Length(max=100)])
    cycle_year = StringField(validators=[DataRequired(), Length(max=4)])
    closes = DateField(validators=[DataRequired()])
    reason = StringField(validators=[Optional(), Length(max=500)])


def split_clusters(text: str | None) -> list[str]:
    """Cluster names typed as a list separated by commas, semicolons or new lines."""
    return [" ".join(part.split()) for part in re.split(r"[,;\n]", text or "") if part.strip()]


def resolve_clusters(names: list[str]) -> list[str]:
    """The stored spelling of each cluster name; AccountError('unknown_cluster') for one no unit belongs to."""
    found, unknown = match_clusters(forms_db(), names)
    if unknown:
        raise AccountError("unknown_cluster", cluster=unknown[0], known="; ".join(cluster_names(forms_db())) or "—")
    return found


@bp.route("/users", methods=["GET", "POST"])
@role_required("admin")
def users():
    """All accounts; creates one."""
    form = UserForm()
    error = None
    if form.validate_on_submit():
        unit_code = (form.unit_code.data or "").strip() or None
        try:
            if unit_code and forms_db()["units"].count_where("code = ?", [unit_code]) == 0:
                raise AccountError("unknown_unit")
            clusters = resolve_clusters(split_clusters(form.clusters.data))
            accounts.add_user(accounts_db(), form.username.data, form.password.data, form.role.data,
                              unit_code if form.role.data == "unit" else None, clusters=clusters)
        except AccountError as exc:
            error = account_message(exc)
        else:
            with write(forms_db()):
                audit(forms_db(), g.user.username, "user_created", unit_code, None, None,
                      {"username": form.username.data, "role": form.role.data, "clusters": clusters})
            flash(_("Đã tạo tài khoản %(name)s.", name=form.username.data), "ok")
            return redirect(url_for("admin.users"), 303)
    elif request.method == "POST":
        error = _("Hãy điền tên đăng nhập và mật khẩu.")
    return _users_page(form, error)


def _users_page(form: UserForm, error: str | None):
    return render_template("admin/users.html", form=form, error=error, rows=accounts.list_users(accounts_db()),
                           clusters=accounts.all_reviewer_clusters(accounts_db()),
                           known_clusters=cluster_names(forms_db())), (400 if error else 200)


@bp.route("/users/<username>/clusters", methods=["POST"])
@role_required("admin")
def set_clusters(username: str):
    """Limit a reviewer to some emulation clusters (a cluster lead); an empty field lifts the limit."""
    try:
        clusters = resolve_clusters(split_clusters(request.form.get("clusters", "")[:2000]))
        accounts.set_reviewer_clusters(accounts_db(), username, clusters)
    except AccountError as exc:
        return _users_page(UserForm(formdata=None), account_message(exc))
    with write(forms_db()):
        audit(forms_db(), g.user.username, "reviewer_clusters_set", None, None, None,
              {"username": username, "clusters": clusters})
    if clusters:
        flash(_("%(name)s chỉ xét duyệt các đơn vị thuộc: %(clusters)s.", name=username, clusters="; ".join(clusters)), "ok")
    else:
        flash(_("%(name)s xét duyệt được mọi đơn vị.", name=username), "ok")
    return redirect(url_for("admin.users"), 303)


@bp.route("/users/<username>/password", methods=["GET", "POST"])
@role_required("admin")
def reset_password(username: str):
    """An admin sets a new password for an account; its sessions end and any lock is lifted."""
    form = ResetForm()
    error = None
    if accounts.get_user(accounts_db(), username) is None:
        return render_template("errors/error.html", code=404, message=_("Không có tài khoản này.")), 404
    if form.validate_on_submit():
        try:
            accounts.set_password(accounts_db(), username, form.password.data)
        except AccountError as exc:
            error = account_message(exc)
        else:
            with write(forms_db()):
                audit(forms_db(), g.user.username, "password_reset", None, None, None, {"username": username})
            flash(_("Đã đặt lại mật khẩu cho %(name)s.", name=username), "ok")
            return redirect(url_for("admin.users"), 303)
    return render_template("admin/reset.html", form=form, error=error, username=username), (400 if error else 200)


@bp.route("/cycles", methods=["GET"])
@role_required("admin")
def cycles():
    """Every form's window per cycle year, and the per-unit extensions."""
    db = forms_db()
    rows = list(db.query("SELECT * FROM cycles ORDER BY cycle_year DESC, form_id"))
    extensions = list(db.query("SELECT * FROM extensions ORDER BY cycle_year DESC, unit_code"))
    return render_template("admin/cycles.html", rows=rows, extensions=extensions, form=CycleForm(),
                           extension_form=ExtensionForm())


@bp.route("/cycles/<form_id>/<int:year>", methods=["POST"])
@role_required("admin")
def set_cycle(form_id: str, year: int):
    """Change a cycle's window (the definition's dates are only the default)."""
    form = CycleForm()
    db = forms_db()
    if not form.validate() or form.opens.data > form.closes.data:
        flash(_("Ngày mở phải là một ngày hợp lệ, trước hoặc bằng ngày đóng."), "error")
        return redirect(url_for("admin.cycles"), 303)
    with write(db):
        changed = db.execute(
            "UPDATE cycles SET opens = ?, closes = ?, changed_by = ?, changed_at = ? WHERE form_id = ? AND cycle_year = ?",
            [form.opens.data.isoformat(), form.closes.data.isoformat(), g.user.username, stamp(), form_id, year],
        ).rowcount
        if changed:
            audit(db, g.user.username, "cycle_changed", None, form_id, year,
                  {"opens": form.opens.data.isoformat(), "closes": form.closes.data.isoformat()})
    flash(_("Đã cập nhật thời hạn.") if changed else _("Không có chu kỳ này."), "ok" if changed else "error")
    return redirect(url_for("admin.cycles"), 303)


@bp.route("/extensions", methods=["POST"])
@role_required("admin")
def extend():
    """Extend one unit's deadline for one form and cycle year."""
    form = ExtensionForm()
    db = forms_db()
    year = int(form.cycle_year.data) if (form.cycle_year.data or "").isdigit() else None
    if not form.validate() or year is None:
        flash(_("Hãy nhập mã đơn vị, mã biểu mẫu, năm và ngày gia hạn hợp lệ."), "error")
        return redirect(url_for("admin.cycles"), 303)
    cycle = db.execute("SELECT 1 FROM cycles WHERE form_id = ? AND cycle_year = ?", [form.form_id.data, year]).fetchone()
    unit = db.execute("SELECT 1 FROM units WHERE code = ?", [form.unit_code.data]).fetchone()
    if cycle is None or unit is None:
        flash(_("Không có đơn vị hoặc chu kỳ này."), "error")
        return redirect(url_for("admin.cycles"), 303)
    grant_extension(db, form.unit_code.data, form.form_id.data, year, form.closes.data, form.reason.data, g.user.username)
    flash(_("Đã gia hạn cho đơn vị %(unit)s đến hết ngày %(date)s.", unit=form.unit_code.data,
            date=form.closes.data.strftime("%d/%m/%Y")), "ok")
    return redirect(url_for("admin.cycles"), 303)


def grant_extension(db, unit_code: str, form_id: str, year: int, closes: dt.date, reason: str | None, actor: str) -> None:
    """Record (or replace) one unit's extended deadline, with an audit entry."""
    with write(db):
        db["extensions"].upsert({
            "unit_code": unit_code, "form_id": form_id, "cycle_year": year, "closes": closes.isoformat(),
            "reason": reason or None, "granted_by": actor, "granted_at": stamp(),
        }, pk=("unit_code", "form_id", "cycle_year"))
        audit(db, actor, "deadline_extended", unit_code, form_id, year, {"closes": closes.isoformat(), "reason": reason})

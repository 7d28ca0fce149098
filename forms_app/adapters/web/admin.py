"""The administrator's pages: accounts (create, reset a password, a reviewer's clusters), cycle windows, per-unit extensions,
upload quotas."""

from __future__ import annotations

import re

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import DateField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from forms_app.adapters.web.auth import account_message, role_required
from forms_app.adapters.web.context import accounts_db, forms_db
from forms_app.adapters.web.i18n import VietnameseMeta, current_language
from forms_app.rules import accounts, registry, units, uploads, windows
from forms_app.rules.account_errors import AccountError
from forms_app.rules.units import cluster_names

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


@bp.route("/users", methods=["GET", "POST"])
@role_required("admin")
def users():
    """All accounts; creates one."""
    form = UserForm()
    error = None
    if form.validate_on_submit():
        # The unit field counts only for a unit account (the page shows it for every role).
        unit_code = ((form.unit_code.data or "").strip() or None) if form.role.data == "unit" else None
        try:
            accounts.create_account(accounts_db(), forms_db(), actor=g.user.username, username=form.username.data,
                                    password=form.password.data, role=form.role.data, unit_code=unit_code,
                                    clusters=split_clusters(form.clusters.data))
        except AccountError as exc:
            error = account_message(exc)
        else:
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
        clusters = accounts.assign_clusters(accounts_db(), forms_db(), actor=g.user.username, username=username,
                                            names=split_clusters(request.form.get("clusters", "")[:2000]))
    except AccountError as exc:
        return _users_page(UserForm(formdata=None), account_message(exc))
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
            accounts.reset_password(accounts_db(), forms_db(), actor=g.user.username, username=username,
                                    password=form.password.data)
        except AccountError as exc:
            error = account_message(exc)
        else:
            flash(_("Đã đặt lại mật khẩu cho %(name)s.", name=username), "ok")
            return redirect(url_for("admin.users"), 303)
    return render_template("admin/reset.html", form=form, error=error, username=username), (400 if error else 200)


@bp.route("/cycles", methods=["GET"])
@role_required("admin")
def cycles():
    """Every form's window per cycle year, and the per-unit extensions."""
    db = forms_db()
    rows, extensions = windows.all_windows(db)
    forms = sorted(registry.latest_definitions(db), key=lambda d: not d.scored)  # scored first: the usual extension
    titles = {d.id: d.title.get(current_language()) for d in forms}
    return render_template("admin/cycles.html", rows=rows, extensions=extensions, form=CycleForm(),
                           extension_form=ExtensionForm(), titles=titles)


@bp.route("/cycles/<form_id>/<int:year>", methods=["POST"])
@role_required("admin")
def set_cycle(form_id: str, year: int):
    """Change a cycle's window (the definition's dates are only the default)."""
    form = CycleForm()
    if not form.validate() or form.opens.data > form.closes.data:
        flash(_("Ngày mở phải là một ngày hợp lệ, trước hoặc bằng ngày đóng."), "error")
        return redirect(url_for("admin.cycles"), 303)
    changed = windows.set_window(forms_db(), form_id, year, form.opens.data, form.closes.data, g.user.username)
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
        flash(_("Hãy nhập mã đơn vị, chọn biểu mẫu, nhập năm và ngày gia hạn hợp lệ."), "error")
        return redirect(url_for("admin.cycles"), 303)
    if not windows.cycle_exists(db, form.form_id.data, year) or not units.unit_exists(db, form.unit_code.data):
        flash(_("Không có đơn vị hoặc chu kỳ này."), "error")
        return redirect(url_for("admin.cycles"), 303)
    windows.grant_extension(db, form.unit_code.data, form.form_id.data, year, form.closes.data, form.reason.data,
                            g.user.username)
    flash(_("Đã gia hạn cho đơn vị %(unit)s đến hết ngày %(date)s.", unit=form.unit_code.data,
            date=form.closes.data.strftime("%d/%m/%Y")), "ok")
    return redirect(url_for("admin.cycles"), 303)


class QuotaForm(FlaskForm):
    class Meta(VietnameseMeta):
        pass

    unit_code = StringField(validators=[Optional(), Length(max=64)])
    quota_mb = StringField(validators=[Optional(), Length(max=12)])


@bp.route("/uploads", methods=["GET", "POST"])
@role_required("admin")
def upload_quotas():
    """The space each unit's uploaded files take and its quota; sets the quota of one unit, or of every unit."""
    form = QuotaForm()
    error = None
    if form.validate_on_submit():
        try:
            uploads.set_quota(forms_db(), actor=g.user.username, unit_code=(form.unit_code.data or "").strip() or None,
                              quota=uploads.parse_quota(form.quota_mb.data))
        except uploads.UploadError as exc:
            error = exc.message(current_language())
        else:
            flash(_("Đã lưu hạn mức dung lượng."), "ok")
            return redirect(url_for("admin.upload_quotas"), 303)
    elif request.method == "POST":
        error = uploads.UploadError("bad_quota", maximum=uploads.MAX_QUOTA_MB).message(current_language())
    db = forms_db()
    return render_template("admin/uploads.html", form=form, error=error, rows=uploads.usage(db),
                           general=uploads.general_quota_mb(db)), (400 if error else 200)

"""The administrator's pages: accounts (create, change a role with its unit or clusters, reset a password), cycle
windows, per-unit extensions, upload quotas, units' e-mail addresses (for the reminders), and who issues the
certificates (with the public address)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import DateField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from forms_app.adapters.web.auth import account_message, capability_required
from forms_app.adapters.web.context import accounts_db, forms_db, paged, today
from forms_app.adapters.web.i18n import VietnameseMeta, current_language
from forms_app.rules import accounts, certificates, messages, registry, units, uploads, windows
from forms_app.rules.account_errors import AccountError
from forms_app.rules.units import cluster_names

bp = Blueprint("admin", __name__, url_prefix="/admin")


class RoleForm(FlaskForm):
    """An account's role, with its unit (a unit account) or its clusters (a cluster lead), and its address."""

    class Meta(VietnameseMeta):
        pass

    role = SelectField(choices=[SelectChoice(role) for role in accounts.ROLES])
    unit_code = StringField(validators=[Optional(), Length(max=64)])
    clusters = StringField(validators=[Optional(), Length(max=2000)])
    email = StringField(validators=[Optional(), Length(max=254)])


class UserForm(RoleForm):
    username = StringField(validators=[DataRequired(), Length(max=64)])
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


def role_labels() -> dict[str, str]:
    """Each role as the plan names it, in the page's language (Đơn vị, Văn phòng, Ủy ban Kiểm tra, Phụ trách cụm, Quản trị)."""
    return {role: label[current_language()] for role, label in accounts.ROLE_LABELS.items()}


# Which field a refused account operation is about: its sentence goes beside it.
ERROR_FIELDS = {"bad_username": "username", "user_exists": "username", "bad_role": "role", "last_admin": "role",
                "unit_needed": "unit_code", "unit_not_allowed": "unit_code", "unknown_unit": "unit_code",
                "clusters_lead_only": "clusters", "clusters_needed": "clusters", "unknown_cluster": "clusters",
                "bad_email": "email"}


def _refused(error: AccountError | None = None, form: RoleForm | None = None) -> dict:
    """What an account page shows of a refusal (by the rules, or of a form that did not validate): the sentence, and
    the field it goes beside."""
    if error is not None:
        field, message = ERROR_FIELDS.get(error.code, "password"), account_message(error)
    elif form is not None and form.errors:
        field = next(name for name in ("username", "role", "unit_code", "clusters", "email", "password") if name in form.errors)
        message = {"username": _("Hãy điền tên đăng nhập (tối đa 64 ký tự)."), "role": _("Hãy chọn một vai trò."),
                   "password": _("Hãy điền mật khẩu.")}.get(field, _("Nội dung ô này quá dài."))
    else:
        return {"error": None, "error_field": None, "field_errors": {}}
    return {"error": message, "error_field": field, "field_errors": {field: message}}


def _role_fields(form: RoleForm) -> dict:
    """The role form's values as the rules take them: the unit only for a unit account (the page shows the field for
    every role); clusters as typed, which the rules refuse for any role but a cluster lead."""
    return {"role": form.role.data,
            "unit_code": ((form.unit_code.data or "").strip() or None) if form.role.data == "unit" else None,
            "clusters": split_clusters(form.clusters.data), "email": form.email.data}


@bp.route("/users", methods=["GET", "POST"])
@capability_required("is_admin")
def users():
    """All accounts with their roles; creates one."""
    form = UserForm()
    refused = _refused()
    if form.validate_on_submit():
        try:
            accounts.create_account(accounts_db(), forms_db(), actor=g.user.username, username=form.username.data,
                                    password=form.password.data, **_role_fields(form))
        except AccountError as exc:
            refused = _refused(exc)
        else:
            flash(_("Đã tạo tài khoản %(name)s.", name=form.username.data), "ok")
            return redirect(url_for("admin.users"), 303)
    elif request.method == "POST":
        refused = _refused(form=form)
    return render_template("admin/users.html", form=form, rows=accounts.list_users(accounts_db()),
                           clusters=accounts.all_reviewer_clusters(accounts_db()), labels=role_labels(),
                           known_clusters=cluster_names(forms_db()), **refused), (422 if refused["error"] else 200)


@bp.route("/users/<username>", methods=["GET", "POST"])
@capability_required("is_admin")
def edit_user(username: str):
    """Change an account's role (with its unit or its clusters) and its address."""
    account = accounts.account(accounts_db(), username)
    if account is None:
        return render_template("errors/error.html", code=404, message=_("Không có tài khoản này.")), 404
    username = account["username"]
    form = RoleForm(data={"role": account["role"], "unit_code": account["unit_code"], "email": account["email"],
                          "clusters": ", ".join(account["clusters"])})
    refused = _refused()
    if form.validate_on_submit():
        try:
            accounts.change_role(accounts_db(), forms_db(), actor=g.user.username, username=username,
                                 **_role_fields(form))
        except AccountError as exc:
            refused = _refused(exc)
        else:
            flash(_("Đã lưu vai trò của %(name)s: %(role)s.", name=username, role=role_labels()[form.role.data]), "ok")
            return redirect(url_for("admin.users"), 303)
    elif request.method == "POST":
        refused = _refused(form=form)
    return render_template("admin/user.html", form=form, username=username, labels=role_labels(),
                           known_clusters=cluster_names(forms_db()), **refused), (422 if refused["error"] else 200)


@bp.route("/users/<username>/password", methods=["GET", "POST"])
@capability_required("is_admin")
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
@capability_required("is_admin")
def cycles():
    """Every form's window per cycle year, and the per-unit extensions."""
    return _cycles_page()


def _cycles_page(*, cycle_key: tuple[str, int] | None = None, cycle_errors: dict | None = None,
                 cycle_values: dict | None = None, extension_form: ExtensionForm | None = None,
                 extension_errors: dict | None = None, status: int = 200):
    """The cycles page; a refused window or extension comes back with its sentences beside the fields and what was
    typed (422)."""
    db = forms_db()
    rows, extensions = windows.all_windows(db)
    forms = sorted(registry.latest_definitions(db), key=lambda d: not d.scored)  # scored first: the usual extension
    titles = {d.id: d.title.get(current_language()) for d in forms}
    return render_template("admin/cycles.html", rows=rows, extensions=extensions, titles=titles,
                           cycle_key=cycle_key, cycle_errors=cycle_errors or {}, cycle_values=cycle_values or {},
                           extension_form=extension_form or ExtensionForm(formdata=None),
                           extension_errors=extension_errors or {}), status


@bp.route("/cycles/<form_id>/<int:year>", methods=["POST"])
@capability_required("is_admin")
def set_cycle(form_id: str, year: int):
    """Change a cycle's window (the definition's dates are only the default); one that closes before it opens is
    refused with a sentence."""
    form = CycleForm()
    typed = {name: (request.form.get(name) or "")[:20] for name in ("opens", "closes")}
    if not form.validate():
        errors = {name: _("Hãy nhập một ngày hợp lệ.") for name in ("opens", "closes") if getattr(form, name).errors}
        return _cycles_page(cycle_key=(form_id, year), cycle_errors=errors, cycle_values=typed, status=422)
    try:
        changed = windows.set_window(forms_db(), form_id, year, form.opens.data, form.closes.data, g.user.username)
    except windows.WindowError as exc:
        return _cycles_page(cycle_key=(form_id, year), cycle_errors=exc.messages(current_language()),
                            cycle_values=typed, status=422)
    if not changed:
        abort(404)
    flash(_("Đã cập nhật thời hạn."), "ok")
    return redirect(url_for("admin.cycles"), 303)


@bp.route("/extensions", methods=["POST"])
@capability_required("is_admin")
def extend():
    """Extend one unit's deadline for one form and cycle year; a date in the past or before the unit's current
    deadline is refused with a sentence beside the field."""
    form = ExtensionForm()
    db = forms_db()
    year = int(form.cycle_year.data) if (form.cycle_year.data or "").strip().isdigit() else None
    errors: dict[str, str] = {}
    if not form.validate() or year is None:
        required = {"unit_code": _("Hãy nhập mã đơn vị."), "form_id": _("Hãy chọn biểu mẫu."),
                    "cycle_year": _("Hãy nhập năm, ví dụ 2022."), "closes": _("Hãy nhập ngày gia hạn hợp lệ."),
                    "reason": _("Lý do dài quá 500 ký tự.")}
        errors = {name: text for name, text in required.items() if getattr(form, name).errors}
        if year is None:
            errors["cycle_year"] = required["cycle_year"]
    elif not units.unit_exists(db, form.unit_code.data.strip()):
        errors["unit_code"] = _("Không có đơn vị mang mã %(unit)s.", unit=form.unit_code.data.strip())
    elif not windows.cycle_exists(db, form.form_id.data, year):
        errors["cycle_year"] = _("Biểu mẫu này không có chu kỳ năm %(year)s.", year=year)
    else:
        try:
            windows.grant_extension(db, form.unit_code.data.strip(), form.form_id.data, year, form.closes.data,
                                    form.reason.data, g.user.username, on=today())
        except windows.WindowError as exc:
            errors = {field or "closes": text for field, text in exc.messages(current_language()).items()}
    if errors:
        return _cycles_page(extension_form=form, extension_errors=errors, status=422)
    flash(_("Đã gia hạn cho đơn vị %(unit)s đến hết ngày %(date)s.", unit=form.unit_code.data.strip(),
            date=form.closes.data.strftime("%d/%m/%Y")), "ok")
    return redirect(url_for("admin.cycles"), 303)


class QuotaForm(FlaskForm):
    class Meta(VietnameseMeta):
        pass

    unit_code = StringField(validators=[Optional(), Length(max=64)])
    quota_mb = StringField(validators=[Optional(), Length(max=12)])


@bp.route("/uploads", methods=["GET", "POST"])
@capability_required("is_admin")
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


# Units' addresses: where `forms-app remind` sends each unit's reminders (also set by `forms-app units import`).

UNITS_PER_PAGE = 50


@dataclass(frozen=True)
class UnitsQuery:
    """The units page's filters as the address gives them: a search, only the units with no address, a page."""

    q: str = ""
    missing: bool = False
    page: int = 1

    @classmethod
    def from_request(cls) -> UnitsQuery:
        page = request.args.get("page", type=int) or 1
        return cls(" ".join((request.args.get("q") or "").split())[:100], request.args.get("missing") == "1",
                   max(1, page))

    def args(self, **changed) -> dict:
        """The address's arguments (for links to other pages), without the empty ones."""
        values = {"q": self.q, "missing": "1" if self.missing else "", "page": self.page, **changed}
        return {name: value for name, value in values.items() if value not in ("", None)}


class UnitEmailForm(FlaskForm):
    class Meta(VietnameseMeta):
        pass

    email = StringField(validators=[Optional(), Length(max=units.MAX_EMAIL + 100)])


@bp.route("/units")
@capability_required("is_admin")
def unit_addresses():
    """Every unit with its e-mail address, searched by code or name, or only those with no address yet; by pages."""
    query = UnitsQuery.from_request()
    db = forms_db()
    paging, rows = paged(lambda page: units.search_addresses(db, query=query.q, without_email=query.missing, page=page,
                                                             per_page=UNITS_PER_PAGE), query.page, UNITS_PER_PAGE)
    return render_template("admin/units.html", rows=rows, f=replace(query, page=paging.page), page=paging,
                           count=units.count_units(db))


@bp.route("/units/<unit_code>", methods=["GET", "POST"])
@capability_required("is_admin")
def unit_address(unit_code: str):
    """Set or clear one unit's e-mail address; one that is not an address is refused with a sentence beside the
    field, what was typed kept (422)."""
    db = forms_db()
    unit = units.find_unit(db, unit_code)
    if unit is None:
        return render_template("errors/error.html", code=404, message=_("Không có đơn vị mang mã %(unit)s.",
                                                                          unit=unit_code[:64])), 404
    form = UnitEmailForm(data={"email": unit["email"] or ""})
    error = None
    if form.validate_on_submit():
        try:
            units.set_email(db, unit["code"], form.email.data, g.user.username)
        except units.UnitError as exc:
            error = exc.message(current_language())
        else:
            address = (form.email.data or "").strip()
            flash(_("Đã lưu địa chỉ thư điện tử của %(unit)s: %(email)s.", unit=unit["code"], email=address)
                  if address else _("Đã xoá địa chỉ thư điện tử của %(unit)s.", unit=unit["code"]), "ok")
            return redirect(url_for("admin.unit_addresses", q=unit["code"]), 303)
    elif request.method == "POST":
        error = (_("Địa chỉ thư điện tử dài quá %(n)s ký tự.", n=units.MAX_EMAIL) if form.email.errors
                 else _("Chưa lưu được; hãy tải lại trang rồi thử lại."))
    return render_template("admin/unit.html", unit=unit, form=form, error=error), (422 if error else 200)


# Who issues the certificates: what certificate.json holds (kept as a file for scripts).

class SettingsForm(FlaskForm):
    """The issuer's lines and the public address printed on every certificate and in its QR code."""

    class Meta(VietnameseMeta):
        pass

    superior = StringField(validators=[Optional(), Length(max=200)])
    organisation = TextAreaField(validators=[Optional(), Length(max=300)])
    committee = TextAreaField(validators=[Optional(), Length(max=300)])
    place = StringField(validators=[Optional(), Length(max=100)])
    signer_title = TextAreaField(validators=[Optional(), Length(max=300)])
    signer_name = StringField(validators=[Optional(), Length(max=200)])
    public_url = StringField(validators=[Optional(), Length(max=500)])


# The page's words in both languages (its own catalogue until they join the translation files).
SETTINGS_TEXTS = {
    "title": {"vi": "Cài đặt giấy chứng nhận", "en": "Certificate settings"},
    "hint": {"vi": "Các dòng in trên giấy chứng nhận (lưu vào certificate.json trong thư mục dữ liệu). Xuống dòng ở "
                   "đâu thì trên giấy xuống dòng ở đó; không dòng nào bị ngắt ở chỗ khác.",
             "en": "The lines printed on the certificates (saved to certificate.json in the data directory). A line "
                   "breaks on paper where you break it here, nowhere else."},
    "superior": {"vi": "Cấp trên trực tiếp (dòng đầu, góc trái)", "en": "Superior level (first line, top left)"},
    "organisation": {"vi": "Cơ quan ban hành (in đậm, góc trái)", "en": "Issuing body (bold, top left)"},
    "committee": {"vi": "Ban Thường vụ cấp giấy (trên dòng GIẤY CHỨNG NHẬN)",
                  "en": "Standing committee issuing it (above GIẤY CHỨNG NHẬN)"},
    "place": {"vi": "Địa danh (trước ngày tháng)", "en": "Place (before the date)"},
    "signer_title": {"vi": "Chức vụ người ký (TM. BAN THƯỜNG VỤ / BÍ THƯ)", "en": "Signer's role lines"},
    "signer_name": {"vi": "Họ tên người ký", "en": "Signer's name"},
    "public_url": {"vi": "Địa chỉ công khai của trang (in trên giấy và trong mã QR)",
                   "en": "The site's public address (printed on the paper and in the QR code)"},
    "env": {"vi": "Biến môi trường FORMS_APP_PUBLIC_URL đang đặt địa chỉ {url}: địa chỉ ấy được dùng thay cho địa chỉ "
                  "lưu ở đây.",
            "en": "The FORMS_APP_PUBLIC_URL environment variable sets the address {url}: it is used instead of the "
                  "one saved here."},
    "bad_url": {"vi": "Địa chỉ công khai phải bắt đầu bằng https:// (hoặc http://) và có tên miền, ví dụ "
                      "https://doan.truong.edu.vn.",
                "en": "The public address must start with https:// (or http://) and name a host, e.g. "
                      "https://union.university.edu.vn."},
    "saved": {"vi": "Đã lưu cài đặt giấy chứng nhận.", "en": "Certificate settings saved."},
}


def settings_text(key: str, **values) -> str:
    """One of the settings page's sentences in the page's language."""
    return messages.text(SETTINGS_TEXTS, key, current_language(), **values)


@bp.app_context_processor
def certificate_settings_context() -> dict:
    """Every page may show an admin the settings link and why certificates cannot be issued yet."""
    def problem() -> str | None:
        found = certificates.address_problem(certificates.settings(g.data_dir)[1])
        return found.message(current_language()) if found else None
    return {"certificate_address_problem": problem, "settings_text": settings_text}


def _bad_address(text: str) -> bool:
    problem = certificates.address_problem(text) if text else None
    return problem is not None and problem.code == "no_public_url"  # unset is allowed (then warned), malformed is not


@bp.route("/settings", methods=["GET", "POST"])
@capability_required("is_admin")
def settings():
    """Who issues the certificates (superior level, issuing body, committee, place, signer) and the public address
    printed on them: read from and written to certificate.json in the data directory."""
    issuer, _url = certificates.settings(g.data_dir)
    stored = certificates.stored_settings(g.data_dir)
    form = SettingsForm(data={**issuer.__dict__, "public_url": stored.get("public_url", "")})
    error = None
    if form.validate_on_submit():
        address = (form.public_url.data or "").strip()
        if _bad_address(address):
            error = settings_text("bad_url")
        else:
            values = {name: (getattr(form, name).data or "").replace("\r\n", "\n")
                      for name in (*certificates.ISSUER_FIELDS, "public_url")}
            certificates.save_settings(g.data_dir, values)
            flash(settings_text("saved"), "ok")
            return redirect(url_for("admin.settings"), 303)
    elif request.method == "POST":
        error = "; ".join(message for messages_ in form.errors.values() for message in messages_)
    overriding = os.environ.get("FORMS_APP_PUBLIC_URL")
    return render_template("admin/settings.html", form=form, error=error,
                           env_note=settings_text("env", url=overriding) if overriding else None), (400 if error else 200)

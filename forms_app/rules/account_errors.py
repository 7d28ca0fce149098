"""The refusals of account operations: one catalogue of sentences and the error that carries its codes.

Below every other account module (`passwords`, `accounts`), so each raises `AccountError` without an import circle;
the error carries every value its sentence needs (the password's minimum length too).
"""

from __future__ import annotations

from forms_app.rules import messages

MESSAGES: messages.Catalogue = {
    # One answer for an unknown user, a wrong password and a throttled attempt: it tells nothing of who exists.
    "bad_login": {"vi": "Tên đăng nhập hoặc mật khẩu không đúng. Nếu đã thử sai nhiều lần, hãy chờ vài phút rồi thử lại.",
                  "en": "Wrong username or password. After several failed attempts, wait a few minutes and try again."},
    "throttled": {"vi": "Đã nhập sai mật khẩu hiện tại nhiều lần; hãy thử lại sau {minutes} phút.",
                  "en": "The current password was wrong several times; try again in {minutes} minute(s)."},
    "password_short": {"vi": "Mật khẩu cần ít nhất {minimum} ký tự.", "en": "The password needs at least {minimum} characters."},
    "password_is_username": {"vi": "Mật khẩu không được trùng tên đăng nhập.",
                             "en": "The password must differ from the username."},
    "password_personal": {
        "vi": "Mật khẩu không được dựa trên tên đăng nhập, mã đơn vị hay những từ ai cũng thử như \"matkhau\", "
              "\"doanthanhnien\", họ Nguyễn, Trần…; hãy chọn một cụm vài từ người khác khó đoán.",
        "en": "The password must not be built on the username, the unit code or words everyone tries (\"matkhau\", "
              "\"doanthanhnien\", common family names); choose a phrase of a few words others would not guess."},
    "password_common": {
        "vi": "Mật khẩu này nằm trong danh sách mật khẩu phổ biến (hoặc chỉ thêm vài chữ số vào một từ quen thuộc) "
              "nên dễ bị đoán; hãy chọn một cụm vài từ người khác khó đoán.",
        "en": "This password is on the list of common passwords (or is a common word with a few digits added); "
              "choose a phrase of a few words others would not guess."},
    "password_repeated": {
        "vi": "Mật khẩu lặp lại một ký tự hoặc một cụm (như 1111111111, abcabcabc) nên dễ bị đoán; hãy chọn một cụm vài "
              "từ người khác khó đoán.",
        "en": "The password repeats a character or a group (like 1111111111, abcabcabc); choose a phrase of a few words "
              "others would not guess."},
    "password_sequence": {
        "vi": "Mật khẩu là một dãy liên tiếp (như 123456789, abcdefgh) hoặc các phím liền nhau trên bàn phím (như "
              "qwertyuiop) nên dễ bị đoán; hãy chọn một cụm vài từ người khác khó đoán.",
        "en": "The password is a sequence (like 123456789, abcdefgh) or neighbouring keys (like qwertyuiop); choose a "
              "phrase of a few words others would not guess."},
    "password_date": {
        "vi": "Mật khẩu dựa trên ngày tháng hoặc năm nên dễ bị đoán; hãy chọn một cụm vài từ người khác khó đoán.",
        "en": "The password is built on a date or a year; choose a phrase of a few words others would not guess."},
    "password_weak": {
        "vi": "Mật khẩu này quá dễ đoán; hãy chọn một cụm vài từ người khác khó đoán.",
        "en": "This password is too easy to guess; choose a phrase of a few words others would not guess."},
    "bad_old_password": {"vi": "Mật khẩu hiện tại không đúng.", "en": "The current password is wrong."},
    "no_user": {"vi": "Không có tài khoản này.", "en": "No such account."},
    "user_exists": {"vi": "Tên đăng nhập {username} đã có.", "en": "The username {username} is taken."},
    "bad_username": {"vi": "Tên đăng nhập không được rỗng, không có khoảng trắng và tối đa 64 ký tự.",
                     "en": "The username must be non-empty, without spaces, at most 64 characters."},
    "bad_role": {"vi": "Vai trò phải là một trong: unit (Đơn vị), reviewer (Văn phòng), inspector (Ủy ban Kiểm tra), "
                       "cluster_lead (Phụ trách cụm), admin (Quản trị).",
                 "en": "The role must be one of unit, reviewer (the Union office), inspector (the inspection committee), "
                       "cluster_lead, admin."},
    "unit_needed": {"vi": "Tài khoản đơn vị phải gắn với một mã đơn vị (--unit).",
                    "en": "A unit account needs a unit code (--unit)."},
    "unit_not_allowed": {"vi": "Chỉ tài khoản đơn vị mới gắn với mã đơn vị.", "en": "Only unit accounts are bound to a unit."},
    "unknown_unit": {"vi": "Không có đơn vị mang mã này; hãy nhập đơn vị trước.",
                     "en": "No unit has this code; import the units first."},
    "clusters_lead_only": {"vi": "Chỉ tài khoản Phụ trách cụm mới gắn với cụm thi đua.",
                           "en": "Only cluster lead accounts are given emulation clusters."},
    "clusters_needed": {"vi": "Tài khoản Phụ trách cụm cần ít nhất một cụm thi đua (--cluster).",
                        "en": "A cluster lead account needs one emulation cluster at least (--cluster)."},
    "bad_email": {"vi": "\"{email}\" không phải là một địa chỉ thư điện tử.", "en": "\"{email}\" is not an e-mail address."},
    "last_admin": {"vi": "Đây là tài khoản Quản trị cuối cùng; hãy giao vai trò Quản trị cho tài khoản khác trước.",
                   "en": "This is the last administrator account; make another account an administrator first."},
    "unknown_cluster": {"vi": "Không có đơn vị nào thuộc cụm \"{cluster}\"; các cụm hiện có: {known}.",
                        "en": "No unit belongs to the cluster \"{cluster}\"; the clusters are: {known}."},
}


class AccountError(ValueError):
    """A refused account operation; `code` selects the sentence shown to the user."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code = code
        self.params = params

    def message(self, lang: str = "vi") -> str:
        """The sentence for this refusal in `lang` (Vietnamese unless "en")."""
        return messages.text(MESSAGES, self.code, lang, **self.params)


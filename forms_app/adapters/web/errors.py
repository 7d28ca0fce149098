"""Error pages: one clear sentence in the page's language, never a traceback."""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from forms_app.adapters.web import stash
from forms_app.data.connection import WriteError, storage_trouble

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, csrf_failure)
    app.register_error_handler(HTTPException, _http)
    app.register_error_handler(WriteError, _database_busy)
    app.register_error_handler(Exception, _unexpected)


def _messages() -> dict[int, str]:
    return {
        400: _("Yêu cầu không hợp lệ. Hãy tải lại trang và thử lại."),
        401: _("Bạn cần đăng nhập để xem trang này."),
        403: _("Tài khoản của bạn không được xem trang này."),
        404: _("Không tìm thấy trang này."),
        405: _("Trang này không nhận kiểu yêu cầu đó."),
        409: _("Thao tác xung đột với một thay đổi khác; hãy tải lại trang."),
        413: _("Nội dung gửi lên quá lớn (tối đa 40 MB cho cả biểu mẫu); hãy gửi tệp nhỏ hơn."),
        429: _("Bạn thao tác quá nhanh; hãy chờ một chút rồi thử lại."),
        500: _("Máy chủ gặp lỗi không mong đợi. Dữ liệu đã lưu trước đó không bị ảnh hưởng; hãy thử lại sau ít phút."),
        503: _("Hệ thống đang bận; hãy thử lại sau ít phút."),
    }


def _page(code: int, message: str | None = None):
    return render_template("errors/error.html", code=code, message=message or _messages().get(code, _messages()[400])), code


def csrf_failure(error: CSRFError):
    # A form page keeps what was typed even when its security token is stale.
    if request.method == "POST" and request.blueprint == "fill" and stash.same_origin():
        return stash.stash_after_csrf_failure()
    return _page(400, _("Mã bảo mật của biểu mẫu đã hết hạn hoặc không hợp lệ; hãy tải lại trang và thử lại."))


def _http(error: HTTPException):
    return _page(error.code or 500)


def _database_busy(error: WriteError):
    if storage_trouble(error):
        return _page(503)
    log.exception("database error")
    return _page(500)


def _unexpected(error: Exception):
    log.exception("unexpected error")
    return _page(500)

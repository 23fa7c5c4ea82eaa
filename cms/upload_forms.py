"""Admin upload forms for images and documents (WAGTAILIMAGES_IMAGE_FORM_BASE, WAGTAILDOCS_DOCUMENT_FORM_BASE).

Wagtail checks an image's extension, format, file size and pixel count, and a document's extension
and (with WAGTAILDOCS_MAX_UPLOAD_SIZE) its size. These forms add what a government site needs on top:

* documents other than videos have a smaller limit than videos (DOCUMENT_MAX_UPLOAD_MB, VIDEO_MAX_UPLOAD_MB);
* a document's first bytes must match its extension (a .pdf starts with %PDF, a .docx is a ZIP
  file …), so an executable or an HTML page cannot be published under a harmless name;
* every refusal is one clear Chinese sentence. (Wagtail's own document check reports a second,
  misleading “文件扩展“”是不被允许” after a refused file, and its pixel message says “unknown number”.)

Both forms serve the single upload, the multiple upload and the edit views (replacing a file).
"""
from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from wagtail.documents.forms import BaseDocumentForm
from wagtail.images.forms import BaseImageForm

VIDEO_EXTENSIONS = {"mp4", "webm"}
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the container of .doc and .xls
ZIP = b"PK\x03\x04"  # the container of .docx, .xlsx and .odt
MARKUP = (b"<!doctype", b"<html", b"<svg", b"<?xml", b"<script", b"<head", b"<body", b"<iframe")
HEAD_BYTES = 1024
MB = 1024 * 1024


def _looks_like(extension, head):
    """Whether the first bytes of a file are those of the format its extension names."""
    if extension == "pdf":
        return b"%PDF-" in head  # the header may follow a few bytes of junk (PDF 1.7, 7.5)
    if extension in {"docx", "xlsx", "odt"}:
        return head.startswith(ZIP)
    if extension in {"doc", "xls"}:
        return head.startswith(OLE2)
    if extension == "mp4":
        return head[4:8] == b"ftyp"
    if extension == "webm":
        return head.startswith(b"\x1a\x45\xdf\xa3")  # EBML
    if extension == "vtt":
        return head.removeprefix(b"\xef\xbb\xbf").startswith(b"WEBVTT")
    if extension == "txt":  # text in any encoding: no NUL bytes, and not a web page
        return b"\x00" not in head and not head.lstrip().lower().startswith(MARKUP)
    return True  # an extension added to WAGTAILDOCS_EXTENSIONS without a rule here


FORMAT_NAMES = {"pdf": "PDF", "docx": "Word（.docx）", "doc": "Word（.doc）", "xlsx": "Excel（.xlsx）",
                "xls": "Excel（.xls）", "odt": "OpenDocument 文本", "txt": "纯文本", "vtt": "WebVTT 字幕",
                "mp4": "MP4 视频", "webm": "WebM 视频"}


def max_document_size(extension):
    megabytes = settings.VIDEO_MAX_UPLOAD_MB if extension in VIDEO_EXTENSIONS else settings.DOCUMENT_MAX_UPLOAD_MB
    return megabytes * MB


class DocumentForm(BaseDocumentForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "file" in self.fields:
            self.fields["file"].help_text = (
                f"允许的类型：{'、'.join(settings.WAGTAILDOCS_EXTENSIONS)}。视频（MP4、WebM）不超过 "
                f"{settings.VIDEO_MAX_UPLOAD_MB} MB，其他文件不超过 {settings.DOCUMENT_MAX_UPLOAD_MB} MB。")

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if not isinstance(upload, UploadedFile):  # unchanged on edit, or no file
            return upload
        name = upload.name or ""
        extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if extension not in settings.WAGTAILDOCS_EXTENSIONS:
            raise forms.ValidationError(
                f"不能上传“{name}”：不支持 .{extension or '（无扩展名）'} 文件。允许的类型：{'、'.join(settings.WAGTAILDOCS_EXTENSIONS)}。",
                code="invalid_extension")
        limit = max_document_size(extension)
        if upload.size > limit:
            raise forms.ValidationError(
                f"“{name}”太大（{upload.size / MB:.1f} MB）：{FORMAT_NAMES.get(extension, extension)} 文件不能超过 "
                f"{limit // MB} MB。", code="file_too_large")
        upload.seek(0)
        head = upload.read(HEAD_BYTES)
        upload.seek(0)
        if not _looks_like(extension, head):
            raise forms.ValidationError(
                f"“{name}”的内容不是 {FORMAT_NAMES.get(extension, extension)} 文件，与扩展名不符。请上传原始文件，不要只改扩展名。",
                code="content_mismatch")
        return upload

    def _post_clean(self):
        # Document.clean() checks the extension of the instance's file. When the upload was refused
        # above, that file is empty and it would add “文件扩展“”是不被允许”: keep only the reason given.
        refused = len(self._errors.get("file", ()))
        super()._post_clean()
        if refused:
            del self._errors["file"][refused:]


class ImageForm(BaseImageForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "file" in self.fields:
            # Wagtail's message for a decompression bomb reads “（unknown number）” in Chinese too.
            self.fields["file"].error_messages["file_too_many_pixels"] = (
                "图片像素过多，上限为 %(max_pixels_count)s 像素。请把图片缩小后再上传。")

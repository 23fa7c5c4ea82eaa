"""Draw the demo infographics (图解) into cms/demo/images/*.png.

Run by hand once, then commit the PNGs; `manage.py load_demo` only reads the committed files and
never needs this script or its font:

    .venv/bin/python cms/demo/make_graphics.py

Needs Pillow and the WenQuanYi Micro Hei font (Debian: fonts-wqy-microhei). Every text colour is
checked against its background for WCAG AA contrast (4.5:1) before anything is written, and each
image is saved as an optimised palette PNG (well under 150 KB).
"""
import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT_PATH = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
OUT_DIR = Path(__file__).resolve().parent / "images"
WIDTH, HEIGHT = 1200, 800

# Palette: a dark government red for bands, near-black ink, light tints for cards.
WHITE = (255, 255, 255)
INK = (17, 24, 39)          # #111827
MUTED = (55, 65, 81)        # #374151
RED = (155, 28, 28)         # #9B1C1C
RED_TINT = (254, 242, 242)  # #FEF2F2
BLUE = (30, 64, 175)        # #1E40AF
BLUE_TINT = (239, 246, 255)  # #EFF6FF
GREEN = (21, 94, 62)        # #155E3E
GREEN_TINT = (236, 253, 245)  # #ECFDF5
GREY_TINT = (243, 244, 246)  # #F3F4F6

# Text never starts a line with these (simple 避头 rule for Chinese line breaking).
NO_LINE_START = set("，。、；：？！）》」』”’％")

_checked_pairs = []


def _luminance(rgb):
    def channel(c):
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(fg, bg):
    lighter, darker = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def font(size):
    return ImageFont.truetype(FONT_PATH, size)


def wrap(text, fnt, max_width):
    """Break Chinese text into lines no wider than max_width pixels."""
    lines, current = [], ""
    for ch in text:
        candidate = current + ch
        if fnt.getlength(candidate) <= max_width or not current:
            current = candidate
        elif ch in NO_LINE_START:
            # Pull the last character down with the punctuation mark rather than start a line with it.
            lines.append(current[:-1])
            current = current[-1] + ch
        else:
            lines.append(current)
            current = ch
    if current:
        lines.append(current)
    return lines


def text_block(draw, xy, text, fnt, fill, bg, max_width, line_gap=8, bold=False):
    """Draw wrapped text; returns the y below the last line. Records the colour pair for the check."""
    _checked_pairs.append((fill, bg, text[:12]))
    bold = bold and fnt.size >= 28  # a stroke makes small CJK glyphs blurry
    x, y = xy
    size = fnt.size
    for line in wrap(text, fnt, max_width):
        draw.text((x, y), line, font=fnt, fill=fill, stroke_width=1 if bold else 0, stroke_fill=fill)
        y += size + line_gap
    return y


def centred(draw, box, text, fnt, fill, bg, bold=False):
    _checked_pairs.append((fill, bg, text[:12]))
    bold = bold and fnt.size >= 28
    x0, y0, x1, y1 = box
    w = fnt.getlength(text)
    draw.text(((x0 + x1 - w) / 2, (y0 + y1 - fnt.size) / 2 - 2), text, font=fnt, fill=fill,
              stroke_width=1 if bold else 0, stroke_fill=fill)


def canvas(title, subtitle):
    img = Image.new("RGB", (WIDTH, HEIGHT), WHITE)
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, WIDTH, 112), fill=RED)
    centred(draw, (0, 8, WIDTH, 80), title, font(44), WHITE, RED, bold=True)
    centred(draw, (0, 72, WIDTH, 108), subtitle, font(22), WHITE, RED)
    return img, draw


def footer(draw, text):
    draw.rectangle((0, HEIGHT - 56, WIDTH, HEIGHT), fill=GREY_TINT)
    centred(draw, (0, HEIGHT - 56, WIDTH, HEIGHT), text, font(20), MUTED, GREY_TINT)


def card(draw, box, number, heading, body, accent, tint, heading_size=28, body_size=22):
    x0, y0, x1, y1 = box
    draw.rounded_rectangle(box, radius=14, fill=tint, outline=accent, width=3)
    text_x = x0 + 20
    if number:
        draw.ellipse((x0 + 16, y0 + 16, x0 + 64, y0 + 64), fill=accent)
        centred(draw, (x0 + 16, y0 + 16, x0 + 64, y0 + 64), number, font(26), WHITE, accent, bold=True)
        text_x = x0 + 80
    y = text_block(draw, (text_x, y0 + 22), heading, font(heading_size), accent, tint, x1 - text_x - 16, bold=True)
    text_block(draw, (x0 + 20, max(y + 6, y0 + 76)), body, font(body_size), INK, tint, x1 - x0 - 40, line_gap=7)


def arrow(draw, x0, y, x1, colour):
    draw.line((x0, y, x1 - 12, y), fill=colour, width=6)
    draw.polygon([(x1, y), (x1 - 18, y - 12), (x1 - 18, y + 12)], fill=colour)


# --- the graphics ------------------------------------------------------------------------


def six_elements():
    img, draw = canvas("政策解读六要素", "解读材料要把这六件事讲清楚，而不是摘抄原文、罗列小标题")
    items = [
        ("政策背景依据", "为什么出台？依据哪些法规和上级文件，要解决群众和企业的什么问题。"),
        ("目标任务", "要做成什么事、到什么时间、由哪个部门牵头负责。"),
        ("主要内容", "核心条款是什么，用群众听得懂的话讲清楚，不照搬公文表述。"),
        ("执行标准", "申请条件、办理程序、时限和渠道，让人知道“怎么办、去哪办”。"),
        ("惠民利民举措", "群众和企业能得到什么实惠，谁能享受，找谁咨询。"),
        ("新旧政策差异", "和以前相比哪些变了、哪些没变，过渡期怎么衔接。"),
    ]
    accents = [(RED, RED_TINT), (BLUE, BLUE_TINT), (GREEN, GREEN_TINT)] * 2
    col_w, row_h, gap = 364, 282, 24
    for i, ((heading, body), (accent, tint)) in enumerate(zip(items, accents, strict=True)):
        col, row = i % 3, i // 3
        x0 = 30 + col * (col_w + gap)
        y0 = 140 + row * (row_h + gap)
        card(draw, (x0, y0, x0 + col_w, y0 + row_h), str(i + 1), heading, body, accent, tint)
    footer(draw, "依据：利通区2021年政务公开工作要点 二（一） · 谁起草、谁解读 · 演示图解")
    return img


def work_points_2021():
    img, draw = canvas("乌鲁木齐市2021年政务公开工作要点 一图读懂",
                       "5个方面 · 45项重点任务 · 各区（县）、各部门建立台账、销号管理")
    rows = [
        ("一", "推动“十四五”开好局起好步", "第1—12项",
         "规划集中公开并开设“十四五”专栏；市场准入负面清单动态更新；预决算、地方债务和惠民补贴信息公开；疫情防控专栏。"),
        ("二", "推进宏观政策落地见效", "第13—26项",
         "重大政策解读；起草部门答复咨询；依托12345热线提供“一号答”；各部门政策问答互链；回应关切建台账。"),
        ("三", "强基础抓基层", "第27—35项",
         "规章集中公开并随立、改、废更新；政府网站年底前支持IPv6；政府公报数据库；26个领域公开标准目录。"),
        ("四", "推动政府信息公开条例实施", "第36—42项",
         "依申请公开登记、审核、办理、答复、归档制度；规范收费；公共企事业单位信息公开；按新格式发布年度报告。"),
        ("五", "抓保障促落实", "第43—45项",
         "加强培训指导；杜绝形式主义，减轻基层负担；对照任务清单逐项“回头看”，未完成的督促整改。"),
    ]
    y = 130
    row_h = 120
    split = 420
    for number, heading, span, body in rows:
        draw.rounded_rectangle((30, y, WIDTH - 30, y + row_h - 12), radius=12, fill=BLUE_TINT, outline=BLUE, width=2)
        draw.rounded_rectangle((30, y, split, y + row_h - 12), radius=12, fill=BLUE)
        centred(draw, (30, y + 10, split, y + 58), f"{number}、{heading}", font(25), WHITE, BLUE)
        centred(draw, (30, y + 56, split, y + 98), span, font(22), WHITE, BLUE)
        text_block(draw, (split + 22, y + 18), body, font(22), INK, BLUE_TINT, WIDTH - 30 - split - 40, line_gap=10)
        y += row_h
    footer(draw, "依据：《乌鲁木齐市2021年政务公开工作要点》 · 乌鲁木齐市人民政府办公厅 · 演示图解")
    return img


def interpretation_forms():
    img, draw = canvas("政策解读形式一览", "形式服务内容：先讲清楚，再讲生动；重要政策主动推送，实现“政策找人”")
    forms = [
        ("文字解读", "完整说明背景、内容和新旧差异。", "所有政策的基础解读"),
        ("图示图解", "一张图看懂流程、条件和数字。", "办事流程、补贴标准"),
        ("简明问答", "按群众常问的问题逐条回答。", "咨询量大的政策"),
        ("案例说明", "用身边的例子讲政策怎么适用。", "条件复杂、容易误解的政策"),
        ("短微视频", "手机上两三分钟看明白。", "需要广泛知晓的惠民政策"),
        ("新闻发布会", "重大政策权威发布、现场答问。", "社会关注度高的重大决策"),
        ("政策通气会", "向执行单位和媒体统一口径。", "基层执行环节多的政策"),
        ("专家访谈", "讲清政策的来龙去脉和影响。", "专业性强的政策"),
        ("卡通动漫", "面向青少年和老年人，更直观。", "教育、健康、防诈骗宣传"),
        ("场景演示", "现场演示怎么办、去哪办。", "窗口办事、网上办理"),
    ]
    col_w, row_h, gap_x, gap_y = 211, 280, 16, 24
    palette = [(RED, RED_TINT), (BLUE, BLUE_TINT), (GREEN, GREEN_TINT), (BLUE, BLUE_TINT), (RED, RED_TINT)]
    for i, (heading, body, suits) in enumerate(forms):
        col, row = i % 5, i // 5
        x0 = 30 + col * (col_w + gap_x)
        y0 = 140 + row * (row_h + gap_y)
        accent, tint = palette[(col + row) % len(palette)]
        draw.rounded_rectangle((x0, y0, x0 + col_w, y0 + row_h), radius=14, fill=tint, outline=accent, width=3)
        draw.rectangle((x0 + 3, y0 + 3, x0 + col_w - 3, y0 + 70), fill=accent)
        centred(draw, (x0, y0 + 6, x0 + col_w, y0 + 68), heading, font(28), WHITE, accent, bold=True)
        y = text_block(draw, (x0 + 18, y0 + 88), body, font(23), INK, tint, col_w - 36, line_gap=9)
        text_block(draw, (x0 + 18, y + 10), f"适合：{suits}。", font(21), accent, tint, col_w - 36, line_gap=7)
    footer(draw, "依据：利通区2021年政务公开工作要点 二（二） · 乌鲁木齐市2021年要点第22项 · 演示图解")
    return img


def application_process():
    img, draw = canvas("依申请公开办理流程", "政府信息公开申请：登记、审核、办理、答复、归档，每一步都有记录")
    steps = [
        ("登记", "收到申请后逐一登记，记下收到日期、申请人和所需信息。"),
        ("审核", "核对申请内容是否明确；不明确的一次性告知补正。"),
        ("办理", "查找信息，判断公开、部分公开或不予公开的依据。"),
        ("答复", "制作规范的答复书送达申请人，说明理由和救济途径。"),
        ("归档", "申请、答复和送达材料整理归档，计入年度报告统计。"),
    ]
    box_w, box_h, gap = 196, 330, 45
    x = 30
    y0 = 150
    for i, (heading, body) in enumerate(steps):
        accent, tint = (RED, RED_TINT) if i % 2 == 0 else (BLUE, BLUE_TINT)
        draw.rounded_rectangle((x, y0, x + box_w, y0 + box_h), radius=14, fill=tint, outline=accent, width=3)
        draw.ellipse((x + box_w / 2 - 30, y0 + 18, x + box_w / 2 + 30, y0 + 78), fill=accent)
        centred(draw, (x + box_w / 2 - 30, y0 + 18, x + box_w / 2 + 30, y0 + 78), str(i + 1), font(30), WHITE,
                accent, bold=True)
        centred(draw, (x, y0 + 86, x + box_w, y0 + 136), heading, font(32), accent, tint, bold=True)
        text_block(draw, (x + 16, y0 + 150), body, font(22), INK, tint, box_w - 32, line_gap=8)
        if i < len(steps) - 1:
            arrow(draw, x + box_w + 6, y0 + box_h / 2, x + box_w + gap - 6, MUTED)
        x += box_w + gap
    band = (30, 510, WIDTH - 30, 720)
    draw.rounded_rectangle(band, radius=14, fill=GREEN_TINT, outline=GREEN, width=3)
    y = text_block(draw, (54, 530), "答复时限", font(28), GREEN, GREEN_TINT, 1100, bold=True)
    y = text_block(draw, (54, y + 4),
                   "能当场答复的当场答复；不能当场答复的，自收到申请之日起20个工作日内答复。"
                   "需要延长的，经政府信息公开工作机构负责人同意并告知申请人，延长最长不超过20个工作日。",
                   font(23), INK, GREEN_TINT, 1090, line_gap=9)
    text_block(draw, (54, y + 6), "依据：《中华人民共和国政府信息公开条例》第三十三条；高昌区2020年要点第22、23项。",
               font(21), MUTED, GREEN_TINT, 1090)
    footer(draw, "申请渠道：当面、信函、网上申请平台 · 演示图解")
    return img


def work_points_2015():
    img, draw = canvas("乌鲁木齐市2015年政务公开工作要点 一图读懂", "年度工作要点 · 3个方面 · 11项工作 · 执行期至2015年12月31日")
    columns = [
        ("全面推进政务公开", "提升政府公信力", RED, RED_TINT,
         ["主动公开覆盖决策、执行、管理、服务、结果", "深化行政权力、财政资金等重点领域公开",
          "整合门户网站、微博、微信等公开平台", "规范依申请公开的受理、办理和答复"]),
        ("加强政务服务建设", "改革创新提效能", BLUE, BLUE_TINT,
         ["严格执行行政权力清单，清单之外无权力", "简化审批环节，建设工程项目并联审批",
          "建设“区市合一”政务中心和公共资源交易中心"]),
        ("健全保障监督措施", "促进队伍自身建设", GREEN, GREEN_TINT,
         ["行政首长为第一责任人", "政务公开纳入绩效考评", "部门协调配合、形成合力", "加强培训，建设专业队伍"]),
    ]
    col_w, gap = 366, 21
    for i, (heading, sub, accent, tint, points) in enumerate(columns):
        x0 = 30 + i * (col_w + gap)
        y0 = 136
        draw.rounded_rectangle((x0, y0, x0 + col_w, 570), radius=14, fill=tint, outline=accent, width=3)
        draw.rectangle((x0 + 3, y0 + 3, x0 + col_w - 3, y0 + 104), fill=accent)
        centred(draw, (x0, y0 + 10, x0 + col_w, y0 + 56), f"{'一二三'[i]}、{heading}", font(29), WHITE, accent, bold=True)
        centred(draw, (x0, y0 + 54, x0 + col_w, y0 + 98), sub, font(24), WHITE, accent)
        y = y0 + 128
        for point in points:
            draw.ellipse((x0 + 22, y + 9, x0 + 34, y + 21), fill=accent)
            y = text_block(draw, (x0 + 46, y), point, font(23), INK, tint, col_w - 66, line_gap=8) + 12
    band = (30, 588, WIDTH - 30, 724)
    draw.rounded_rectangle(band, radius=14, fill=GREY_TINT, outline=MUTED, width=2)
    text_block(draw, (54, 600), "今年的新要求", font(26), INK, GREY_TINT, 400)
    news = ["行政权力清单公布后不得擅自变更，随法规立、改、废及时调整。",
            "依申请公开明确受理、办理、审核、答复、归档各环节的时限和责任。",
            "政务中心实行“一个窗口受理、一次性告知、限时办结”。"]
    y = 640
    for point in news:
        draw.ellipse((56, y + 9, 66, y + 19), fill=MUTED)
        y = text_block(draw, (78, y), point, font(21), INK, GREY_TINT, 1080, line_gap=4) + 2
    footer(draw, "依据：《乌鲁木齐市2015年政务公开工作要点》 · 年度工作要点，2015年底执行完毕 · 演示图解")
    return img


GRAPHICS = {
    "zhengce-jiedu-liu-yaosu.png": six_elements,
    "wlmq-2021-yaodian-yitu-dudong.png": work_points_2021,
    "zhengce-jiedu-xingshi.png": interpretation_forms,
    "yishenqing-gongkai-liucheng.png": application_process,
    "wlmq-2015-yaodian-yitu-dudong.png": work_points_2015,
}


def save(img, path):
    # A small adaptive palette keeps flat infographics small; no dithering keeps text edges clean.
    paletted = img.quantize(colors=64, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    paletted.save(path, format="PNG", optimize=True)
    return path.stat().st_size


def main():
    if not Path(FONT_PATH).exists():
        sys.exit(f"找不到字体 {FONT_PATH}：请先安装 fonts-wqy-microhei。")
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    images = {name: draw() for name, draw in GRAPHICS.items()}
    failures = [(fg, bg, text, contrast(fg, bg)) for fg, bg, text in _checked_pairs if contrast(fg, bg) < 4.5]
    if failures:
        for fg, bg, text, ratio in failures:
            print(f"对比度不足 {ratio:.2f}:1 — {text} {fg} on {bg}")
        sys.exit(1)
    worst = min(contrast(fg, bg) for fg, bg, _ in _checked_pairs)
    for name, img in images.items():
        size = save(img, OUT_DIR / name)
        print(f"{name}: {img.width}×{img.height}, {size / 1024:.0f} KB")
    print(f"最低文字对比度 {worst:.2f}:1（WCAG AA 要求 4.5:1）")


if __name__ == "__main__":
    main()

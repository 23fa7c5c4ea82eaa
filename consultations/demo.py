"""Demo consultations for `manage.py load_demo`: one open for comment, one answered with results.

The texts are written for the demo (illustrative, not real government drafts); opinions are in
the words residents use. Idempotent: pages are looked up by slug, opinions by receipt order.
"""
import datetime

from django.utils import timezone
from wagtail.rich_text import RichText

from cms import routing

from .models import ConsultationIndexPage, ConsultationPage, Decision, ModerationStatus, Opinion
from .submission import fingerprint, receipt_number

INDEX = {"title": "意见征集", "slug": "zhengqiu",
         "intro": "重大行政决策草案和涉及群众切身利益的政策在出台前公开征求意见。征集结束后，起草部门在这里公布意见采纳情况。"}


def _clauses(*items):
    return [("clause", {"number": str(i), "heading": heading, "text": RichText(f"<p>{text}</p>")})
            for i, (heading, text) in enumerate(items, start=1)]


OPEN = {
    "slug": "jianxi-butie-zhengqiu",
    "department": "rsj",
    "title": "《乌鲁木齐市高校毕业生就业见习补贴实施办法（征求意见稿）》公开征求意见",
    "summary": "拟提高就业见习补贴标准、扩大见习单位范围，就见习期限、补贴发放方式等听取毕业生、企业和社会各界意见。",
    "topics": "就业,就业创业",
    "explanation": "<p><strong>为什么要修订：</strong>现行见习补贴办法执行三年来，见习单位反映补贴标准偏低、申领材料多，"
                   "部分毕业生反映见习岗位集中在少数行业。市人社局在调研 126 家见习单位和 800 余名见习人员的基础上起草了本办法。</p>"
                   "<p><strong>主要变化：</strong>见习补贴由当地最低工资标准的 60% 提高到 80%；留用率达到 50% 以上的单位再给予一次性奖励；"
                   "个体工商户和社会组织可以申请成为见习单位；补贴改为按季度直接拨付。</p>"
                   "<p><strong>特别希望听取意见的问题：</strong>见习期限是否以 3 至 12 个月为宜；留用奖励的门槛是否合适。</p>",
    "clauses": [
        ("适用对象", "离校两年内未就业的高校毕业生和十六至二十四岁失业青年，可以参加就业见习。"),
        ("见习单位", "依法登记的企业、事业单位、个体工商户和社会组织，能够提供见习岗位和指导老师的，可以申请认定为见习单位。"),
        ("见习期限", "见习期限一般为三至十二个月，见习单位应当与见习人员签订见习协议。"),
        ("补贴标准", "见习单位按照当地最低工资标准的百分之八十领取见习补贴，用于支付见习人员基本生活费和办理人身意外伤害保险。"),
        ("留用奖励", "见习期满留用率达到百分之五十以上的见习单位，按照每留用一人二千元给予一次性奖励。"),
        ("发放方式", "见习补贴按季度申领，人力资源和社会保障部门审核后直接拨付到见习单位账户。"),
    ],
    "questionnaire": [
        ("choice", {"question": "您的身份是？", "required": False, "options": "高校毕业生\n见习单位\n其他市民", "multiple": False}),
        ("rating", {"question": "您对提高补贴标准的总体评价", "required": False, "low_label": "很不赞成", "high_label": "非常赞成"}),
    ],
    "start": -3, "end": 11,
    "opinions": [
        ("就业创业", "3", "建议见习期限下限改为一个月，有些小微企业只能提供短期岗位，三个月门槛太高。"),
        ("就业创业", "4", "补贴提高到百分之八十很好，但建议明确见习单位不得从补贴中扣除管理费用。"),
        ("就业创业", "2", "个体工商户能提供的指导有限，建议对个体工商户见习岗位设置更严格的认定条件。"),
        ("就业创业", "6", "按季度拨付对小企业资金压力大，建议改为按月申领或预拨一部分。"),
        ("社会保障", "4", "见习人员的人身意外伤害保险建议由人社部门统一购买，避免单位漏保。"),
    ],
}

ANSWERED = {
    "slug": "2021-minsheng-shishi-zhengji",
    "department": "bgt",
    "title": "乌鲁木齐市2021年重点民生实事项目意见建议公开征集",
    "summary": "面向全市居民征集 2021 年重点民生实事项目建议，覆盖就业、教育、养老、交通等 16 个方面。",
    "topics": "民生实事,养老服务,义务教育,城市交通",
    "explanation": "<p>每年的重点民生实事项目由市政府在征集群众意见的基础上确定。本次征集的建议将作为编制 2021 年民生实事项目的重要依据，"
                   "征集结束后 30 日内公布采纳情况。</p>",
    "clauses": [
        ("就业和社会保障", "围绕稳就业、保民生，拟实施一批就业培训和社会保障项目。"),
        ("教育和养老", "拟新建、改扩建一批中小学、幼儿园和社区养老服务设施。"),
        ("交通和城市管理", "拟实施一批道路微循环改造、公交线网优化和老旧小区改造项目。"),
    ],
    "questionnaire": [],
    "start": -120, "end": -90,
    "summary_html": "<p>本次征集共收到意见建议 {total} 条。经市政府办公厅会同相关部门逐条研究，采纳或部分采纳的建议已纳入"
                    "《2021 年重点民生实事项目》，涉及社区食堂、学校周边交通、老旧小区加装电梯等方面。"
                    "未采纳的建议主要是已有相关规定或不属于市级事权，答复中逐条说明了理由。</p>",
    "opinions": [
        ("养老服务", "2", "建议在每个社区都办老年食堂，我们小区老人多，子女上班顾不上做饭。", Decision.ADOPTED,
         "已采纳。2021 年新建社区老年食堂（助餐点）60 个，优先布局在老年人口集中的社区。"),
        ("养老服务", "2", "建议在每个社区都办老年食堂！我们小区老人多，子女上班顾不上做饭。", Decision.ADOPTED,
         "已采纳。2021 年新建社区老年食堂（助餐点）60 个，优先布局在老年人口集中的社区。"),
        ("养老服务", "2", "建议在每个社区都办老年食堂，我们小区老人多，子女上班顾不上做饭", Decision.ADOPTED,
         "已采纳。2021 年新建社区老年食堂（助餐点）60 个，优先布局在老年人口集中的社区。"),
        ("教育", "2", "学校门口早晚高峰堵得厉害，建议设置临时停车接送区，安排交警疏导。", Decision.PARTLY,
         "部分采纳。已在 20 所学校周边设置限时停车接送区；交警疏导按各辖区警力统筹安排。"),
        ("城市建设管理", "3", "老旧小区没有电梯，老人上下楼很困难，希望政府支持加装电梯并给补贴。", Decision.ADOPTED,
         "已采纳。老旧小区加装电梯纳入民生实事，每部电梯按规定给予财政补助。"),
        ("城市交通", "3", "建议开通夜间公交线路，方便下夜班的人回家。", Decision.NOT_ADOPTED,
         "暂未采纳。经客流调查，夜间出行需求分散，开通夜班线路运营成本过高；将先在两条线路试点延长末班车时间。"),
        ("就业创业", "1", "建议多办免费的技能培训班，比如育婴、电工，培训完能推荐工作。", Decision.EXISTING,
         "已有相关规定。我市职业技能提升行动已提供免费培训，可拨打 12333 咨询报名。"),
        ("便民服务", "", "小区快递太多堆在门口，建议统一建设快递柜。", Decision.OUT_OF_SCOPE,
         "不属于本次征集范围。快递末端网点建设由邮政管理部门和企业按市场化方式推进，已转交市邮政管理局研究。"),
        ("卫生健康", "1", "社区医院周末也应该开门，上班族只有周末有时间看病。", Decision.PARTLY,
         "部分采纳。2021 年起 30 家社区卫生服务中心周六上午开诊。"),
    ],
}


def ensure_index(command, home):
    return command.ensure_singleton(home, ConsultationIndexPage, INDEX)


def ensure_consultations(command, departments):
    pages = []
    for spec in (OPEN, ANSWERED):
        page = ConsultationPage.objects.filter(slug=spec["slug"]).first()
        if page is None:
            now = timezone.now().replace(minute=0, second=0, microsecond=0)
            folder = departments[spec["department"]].policy_index
            page = command.add_page(folder, ConsultationPage(
                title=spec["title"], slug=spec["slug"], summary=spec["summary"], topics=spec["topics"],
                explanation=spec["explanation"], draft=_clauses(*spec["clauses"]),
                questionnaire=spec["questionnaire"],
                start_at=now + datetime.timedelta(days=spec["start"]), end_at=now + datetime.timedelta(days=spec["end"]),
                contact_address=departments[spec["department"]].address, contact_email="zhengqiu@example.gov.cn",
            ))
            command.publish(page)
            command.created(f"发布意见征集《{page.title}》")
            _add_opinions(page, spec)
        else:
            command.skipped(f"意见征集《{page.title}》已存在")
        pages.append(page)
    answered = ConsultationPage.objects.get(slug=ANSWERED["slug"])
    if not answered.results_published_at:
        answered.results_summary = ANSWERED["summary_html"].format(total=answered.opinions.count())
        command.publish(answered, new_revision=True)
        ConsultationPage.objects.filter(pk=answered.pk).update(results_published_at=answered.end_at +
                                                               datetime.timedelta(days=20))
        routing.tree_changed()  # a running site's cached copies of the page show it unanswered
        command.created(f"公布《{answered.title}》的意见采纳情况")
    return pages


def _add_opinions(page, spec):
    surnames = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
    for i, item in enumerate(spec["opinions"]):
        category, clause, text = item[:3]
        decided = len(item) > 3
        submitted = page.start_at + datetime.timedelta(hours=5 + 7 * i)
        opinion = Opinion.objects.create(
            consultation=page, idempotency_key=f"demo-{page.slug}-{i}", submitted_at=submitted,
            name=f"{surnames[i % len(surnames)]}某某", email=f"demo{i}@example.org" if i % 2 == 0 else "",
            client_hash=f"demo-client-{i}", category=category, clause_number=clause, text=text, public_text=text,
            fingerprint=fingerprint(text),
            moderation_status=ModerationStatus.APPROVED if decided else ModerationStatus.PENDING,
            decision=item[3] if decided else "", reply=item[4] if decided else "",
            decided_at=page.end_at + datetime.timedelta(days=10) if decided else None,
        )
        leader = Opinion.objects.filter(consultation=page, fingerprint=opinion.fingerprint).order_by("pk").first()
        Opinion.objects.filter(pk=opinion.pk).update(
            receipt_number=receipt_number(opinion), duplicate_group=leader if leader.pk != opinion.pk else None)

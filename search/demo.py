"""Demo content of the hotline Q&A base for `manage.py load_demo`: entries, synonyms and terms.

Entries are written for the demo in the words callers use; each names the department that answers
it and, where it has one, the demo policy it rests on (one rests on the expired 2015 work points, so
the hotline shows how an outdated answer is kept out of the current results). Idempotent: entries
are found by external_id; synonyms come from search/data/synonyms.txt.
"""
from pathlib import Path

from cms.models import PolicyDocumentPage

from .models import QAEntry, SynonymGroup, VocabularyTerm

SYNONYMS_FILE = Path(__file__).resolve().parent / "data" / "synonyms.txt"
TERMS = ["灵活就业人员", "异地就医备案", "门诊慢特病", "就业见习", "依申请公开", "政务公开", "一号答", "居住证",
         "最低生活保障", "失业保险金", "住房公积金", "随迁子女", "权责清单", "政府开放月", "一次性吸纳就业补贴"]

ENTRIES = [
    {"id": "demo-bgt-001", "department": "bgt", "policy": "wlmq-2021-zhengwu-gongkai-yaodian",
     "question": "怎么申请政府信息公开？", "topics": ["政务公开"],
     "alt": ["想查政府的文件去哪申请", "依申请公开怎么办理", "要看某个批复能不能申请公开"],
     "short": "在市政府门户网站“依申请公开”栏目在线提交，或到市政务服务中心信息公开窗口填写申请表，写明所需信息的名称、文号或便于查找的描述。",
     "answer": "<p>申请时请提供申请人姓名或名称、身份证明、联系方式，以及所需政府信息的名称、文号或者便于行政机关查询的其他特征性描述。</p>"
               "<p>能够当场答复的当场答复；不能当场答复的，自收到申请之日起 20 个工作日内答复，需要延长的经负责人同意可延长不超过 20 个工作日，并书面告知申请人。</p>"},
    {"id": "demo-bgt-002", "department": "bgt", "policy": "wlmq-2021-zhengwu-gongkai-yaodian",
     "question": "申请政府信息公开多久能答复？", "topics": ["政务公开"],
     "alt": ["依申请公开要等多少天", "申请了信息公开一直没回音怎么办"],
     "short": "不能当场答复的，自收到申请之日起 20 个工作日内答复；需要延长的最多再延长 20 个工作日，并会告知申请人。",
     "answer": "<p>期限从行政机关收到申请之日起计算，需要补正申请内容的，从收到补正后的申请起计算。逾期未答复的，可以向上一级行政机关或政府信息公开工作主管部门投诉、举报，也可以依法申请行政复议或者提起行政诉讼。</p>"},
    {"id": "demo-bgt-003", "department": "bgt", "policy": "wlmq-2021-zhengwu-gongkai-yaodian",
     "question": "政策文件在哪里查？怎么知道还有没有效？", "topics": ["政务公开"],
     "alt": ["这个文件现在还管用吗", "旧文件废止了没有", "规范性文件去哪看"],
     "short": "在市政府门户网站“政策文件”栏目查询，每份文件都标明现行有效、已修改、已废止或已失效，被修改或废止的文件会链接到新文件。",
     "answer": "<p>规章和行政规范性文件集中在“政策文件”栏目公开，文件立、改、废后同步更新效力状态。已废止的文件保留原文供查阅，但页面顶部会醒目提示，请以新文件为准。</p>"},
    {"id": "demo-bgt-004", "department": "bgt", "policy": "wlmq-2021-zhengwu-gongkai-yaodian",
     "question": "政策看不懂可以打电话问吗？", "topics": ["政务公开"],
     "alt": ["打12345能咨询政策吗", "政策有疑问找谁问"],
     "short": "可以。拨打 12345 政务服务便民热线，座席会按“一号答”政策问答库答复；需要专业解答的，会转接起草部门的政策咨询电话。",
     "answer": "<p>政策文件和解读页面也列出了起草部门的咨询电话。谁起草、谁解读：起草部门负责回答对政策的疑问。</p>"},
    {"id": "demo-bgt-005", "department": "bgt", "policy": "wlmq-2015-zhengwu-gongkai-yaodian",
     "question": "行政权力清单在哪里公开？", "topics": ["政务公开"],
     "alt": ["权力清单在哪看"],
     "short": "按 2015 年工作要点，行政权力清单在市政府门户网站和市政务中心公开栏公布。",
     "answer": "<p>2015 年要求各部门严格执行行政权力清单制度，在门户网站和政务中心公开清单。</p>"},
    {"id": "demo-gcq-001", "department": "gcq", "policy": "gaochang-2020-zhengwu-gongkai-yaodian",
     "question": "权责清单在哪里查？", "topics": ["政务公开"],
     "alt": ["部门的职责和权力去哪看", "权力清单在哪看"],
     "short": "在区政府门户网站“权责清单”专栏查询，清单随机构职能调整动态更新。",
     "answer": "<p>各部门的权责清单、公共服务事项清单在区政府门户网站集中公开，机构改革或职能调整后及时更新。</p>"},
    {"id": "demo-gcq-002", "department": "gcq", "policy": "gaochang-2020-zhengwu-gongkai-yaodian",
     "question": "疫情防控期间会公开我的个人信息吗？", "topics": ["疫情防控", "政务公开"],
     "alt": ["确诊病例信息会不会把我名字公布出去", "流调信息保护隐私吗"],
     "short": "不会公开可识别个人身份的信息。疫情信息发布只公布防控需要的行程和场所，姓名、身份证号、住址等个人信息依法保护。",
     "answer": "<p>发布疫情信息时做好个人信息保护，对涉及个人隐私的信息去标识化处理；发现泄露个人信息的，可以向区政府办公室反映。</p>"},
    {"id": "demo-ltq-001", "department": "ltq", "policy": "litong-2021-zhengwu-gongkai-yaodian",
     "question": "新出台的政策在哪里看解读？", "topics": ["政务公开"],
     "alt": ["政策解读去哪里看", "文件看不懂有没有解读"],
     "short": "在区政府网站“政策解读”栏目，政策文件和解读同步发布；解读讲清背景依据、目标任务、主要内容、执行标准、惠民举措和新旧政策差异。",
     "answer": "<p>面向企业和群众的政策文件都有解读，形式有文字、图解、视频和简明问答；政策实施中出现新情况的，起草部门会发布二次解读。</p>"},
    {"id": "demo-ltq-002", "department": "ltq", "policy": "litong-2021-zhengwu-gongkai-yaodian",
     "question": "政府开放月怎么参加？", "topics": ["政务公开"],
     "alt": ["政府开放日能去参观吗", "想去政府部门看看怎么报名"],
     "short": "关注区政府网站发布的政府开放月活动通知，按通知的方式报名；活动期间群众可以走进政府部门，了解工作、提出意见建议。",
     "answer": "<p>开放活动的时间、地点和报名方式在区政府网站提前公布。</p>"},
    {"id": "demo-rsj-001", "department": "rsj", "policy": None,
     "question": "高校毕业生就业见习补贴怎么申请？", "topics": ["就业"],
     "alt": ["大学生见习有补贴吗", "见习单位怎么领补贴", "实习有没有生活补助"],
     "short": "由见习单位按季度向所在区人社部门申请，现行标准为当地最低工资标准的 60%，用于见习人员基本生活费和人身意外伤害保险。",
     "answer": "<p>离校两年内未就业的高校毕业生可以参加就业见习，见习期一般 3 至 12 个月。见习单位与见习人员签订见习协议后，凭协议、考勤和发放记录申领补贴。</p>"
               "<p>市人社局正在就新的见习补贴办法公开征求意见，拟把标准提高到 80%。新办法生效前仍按现行标准执行。</p>"},
    {"id": "demo-rsj-002", "department": "rsj", "policy": None,
     "question": "灵活就业人员怎么缴纳社会保险？", "topics": ["社会保障", "就业"],
     "alt": ["打零工的社保怎么交", "个体户能自己交养老保险吗", "没有单位怎么交社保"],
     "short": "以个人身份参加企业职工基本养老保险和基本医疗保险：在网上经办大厅或社保经办窗口办理参保登记，再按月或按季缴费。",
     "answer": "<p>办理时带身份证即可；缴费基数在当地公布的上下限之间自选。已经在单位参保的人员，不需要再以灵活就业身份参保。</p>"},
    {"id": "demo-rsj-003", "department": "rsj", "policy": None,
     "question": "失业了怎么领失业保险金？", "topics": ["社会保障", "就业"],
     "alt": ["失业金怎么领", "被辞退了能领失业金吗", "公司裁员了有没有补助"],
     "short": "非本人意愿中断就业、失业前缴纳失业保险满一年并已办理失业登记的，可以在网上经办大厅或社保窗口申领失业保险金。",
     "answer": "<p>领取期限根据累计缴费时间确定，最长不超过 24 个月；领取期间由失业保险基金代缴基本医疗保险费。主动辞职的一般不能领取。</p>"},
    {"id": "demo-rsj-004", "department": "rsj", "policy": None,
     "question": "企业招用高校毕业生有什么补贴？", "topics": ["就业"],
     "alt": ["公司招大学生能领补贴吗", "招应届生有没有优惠政策"],
     "short": "中小微企业招用离校两年内未就业高校毕业生，签订一年以上劳动合同并缴纳社会保险的，可以申请一次性吸纳就业补贴。",
     "answer": "<p>企业通过网上经办大厅提交劳动合同和参保缴费记录，审核通过后补贴直接拨付到企业对公账户。同一毕业生只能享受一次。</p>"},
    {"id": "demo-ybj-001", "department": "ybj", "policy": None,
     "question": "异地就医怎么备案？", "topics": ["医疗保障"],
     "alt": ["去外地看病医保能报吗", "在外地住院怎么报销", "退休后去子女那边住医保怎么办"],
     "short": "通过国家医保服务平台 App、微信小程序或医保经办窗口办理异地就医备案，备案后在就医地定点医院看病可以直接结算。",
     "answer": "<p>长期在外地居住的（异地安置退休、常驻外地工作）和临时外出就医的都可以备案。未备案先就医的，回参保地按规定手工报销，报销比例可能降低。</p>"},
    {"id": "demo-ybj-002", "department": "ybj", "policy": None,
     "question": "门诊慢特病待遇怎么申请？", "topics": ["医疗保障"],
     "alt": ["慢性病拿药能报销吗", "高血压糖尿病门诊能报多少"],
     "short": "向参保地医保经办机构或指定医院提交诊断证明和病历，经认定后享受门诊慢特病待遇，在定点医药机构购药可按比例报销。",
     "answer": "<p>病种和报销比例以市医保局公布的目录为准。认定结果一般在受理后 15 个工作日内告知。</p>"},
    {"id": "demo-ybj-003", "department": "ybj", "policy": None,
     "question": "医保断缴了怎么办？", "topics": ["医疗保障"],
     "alt": ["医保停了几个月还能补吗", "换工作中间没交医保有影响吗"],
     "short": "职工医保中断 3 个月内补缴的，待遇可以连续；超过 3 个月的，重新缴费后有等待期。请尽快到医保窗口或网上办理续保。",
     "answer": "<p>灵活就业人员和城乡居民的补缴、等待期规定不同，具体以参保地医保经办机构答复为准。</p>"},
    {"id": "demo-ybj-004", "department": "ybj", "policy": None,
     "question": "新生儿怎么参加医保？", "topics": ["医疗保障"],
     "alt": ["孩子刚出生怎么办医保", "宝宝上户口后怎么交医保"],
     "short": "新生儿出生后凭出生医学证明或户口簿，在医保服务平台或社区、医保窗口办理城乡居民医保参保登记，出生当年参保缴费的，自出生之日起享受待遇。",
     "answer": "<p>父母任一方参加本市医保的，新生儿可以在本市参保。</p>"},
]


def ensure_qa_base(command, departments):
    """Create or update the demo entries, synonyms and terms; returns the number of new entries."""
    from django.core.management import call_command

    call_command("import_synonyms", str(SYNONYMS_FILE), verbosity=0)
    for word in TERMS:
        VocabularyTerm.objects.get_or_create(word=word)
    policies = {p.slug: p for p in PolicyDocumentPage.objects.filter(
        slug__in={e["policy"] for e in ENTRIES if e["policy"]})}
    created = 0
    for spec in ENTRIES:
        entry = QAEntry.objects.filter(external_id=spec["id"]).first()
        if entry is not None:
            continue
        entry = QAEntry(external_id=spec["id"], department=departments[spec["department"]],
                        policy=policies.get(spec["policy"]), question=spec["question"],
                        alt_questions="\n".join(spec["alt"]), short_answer=spec["short"], answer=spec["answer"],
                        live=False)
        entry.save()
        entry.topics.add(*spec["topics"])
        entry.save()
        entry.save_revision(user=command.admin).publish(user=command.admin)
        created += 1
        command.created(f"政策问答：{spec['question']}")
    return created, SynonymGroup.objects.count()

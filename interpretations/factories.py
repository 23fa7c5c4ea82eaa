"""Factories for interpretation pages with substantive six-element content."""
import factory
import wagtail_factories

from interpretations.models import InterpretationPage

# A faithful interpretation of cms.factories' default policy: it explains, it does not copy.
GOOD_ELEMENTS = {
    "background": "<p>去年以来受多重因素影响，部分中小企业招工意愿下降，应届毕业生求职压力明显上升，"
                  "市政府据此出台这份文件，把中央和自治区稳就业要求落到本地。</p>",
    "objectives": "<p>目标是让更多企业愿意招用高校毕业生，做到今年全市城镇新增就业不少于四万人，"
                  "登记失业率控制在百分之四以内。</p>",
    "main_content": "<p>核心是一项补贴：中小微企业招用毕业生并为其参保，就能拿到一次性补贴；"
                    "审核期限也写进了文件，避免企业久等。</p>",
    "standards": "<p>企业须与毕业生签订一年以上劳动合同，并按月足额缴纳社会保险；"
                 "补贴标准按每人一千元执行，同一人只能领取一次。</p>",
    "benefits": "<p>企业通过网上经办大厅即可申请，不用跑窗口；资金直接拨付到企业对公账户，"
                "毕业生则获得更稳定的首份工作和社保缴费记录。</p>",
    "changes": "<p>过去的补贴只面向困难群体，这次扩大到所有高校毕业生，"
               "并把审核时限从三十个工作日压缩到十五个工作日。</p>",
}


class InterpretationPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = InterpretationPage

    title = factory.Sequence(lambda n: f"一图读懂稳就业若干措施（{n}）")
    summary = "招用高校毕业生的中小微企业可以领取一次性补贴。"
    interpreter = "市人社局就业促进处"
    live = False
    background = GOOD_ELEMENTS["background"]
    objectives = GOOD_ELEMENTS["objectives"]
    main_content = GOOD_ELEMENTS["main_content"]
    standards = GOOD_ELEMENTS["standards"]
    benefits = GOOD_ELEMENTS["benefits"]
    changes = GOOD_ELEMENTS["changes"]

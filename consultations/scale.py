"""Realistic synthetic opinions for a consultation at the seed's scale (75,899 opinions, 10,246 people).

Pure Python, no database: ``plan_opinions`` returns rows in submission order; the management command
``generate_opinions`` writes them. Everything is drawn from one ``random.Random(seed)``, so the same
arguments give the same data set (texts, people, times, decisions) on every run and database.

What makes it realistic enough to measure the admin, the statistics and the export on:

* texts composed per category (就业创业, 社会保障, 养老服务 …) from openers, places in Urumqi, clause
  references, issues, suggestions, reasons and closings, so that almost every free text is different;
* 联名信 form-letter campaigns (``duplicates_share`` of the opinions): identical texts, variants that
  differ only in punctuation, spacing or numbers (same fingerprint), and near-identical variants with a
  personal preface (a fingerprint of their own), sent in bursts over a few hours;
* people: a heavy-tailed number of opinions per person (most send one or two, a few send dozens), with
  names, ``example.org`` / ``example.com`` e-mail addresses and 139xxxxxxxx mobile numbers, or anonymous;
* moderation states (mostly approved or pending; some hidden, held for a sensitive word, or spam),
  decisions with replies for ``decided_share`` of the opinions, questionnaire answers, personal data
  typed into a few texts (masked in the public text), times over the consultation with a daily rhythm,
  a first-days peak and a deadline rush.
"""
import bisect
import datetime
import hashlib
import math
import random
import re
from dataclasses import dataclass, field

GENERIC = "_generic"

# --- phrase banks --------------------------------------------------------------------------------
# Per category: issues (full sentences about the present situation) and suggestions (fragments that
# follow 建议/希望/能否 …). Digits are ignored by the fingerprint, so the variety is in the words.
PHRASES = {
    "就业创业": {
        "issues": [
            "现在不少小微企业招人难，年轻人又找不到合适的岗位，供需对接不畅。",
            "创业担保贷款的申请材料多、审批时间长，很多人等不起就放弃了。",
            "灵活就业人员缴纳社保的门槛高，外卖骑手和网约车司机普遍没有参保。",
            "招聘会大多集中在市区，米东区和达坂城区的求职者参加很不方便。",
            "职业技能培训的课程和企业实际需要脱节，培训完还是找不到工作。",
            "高校毕业生留乌就业的补贴政策宣传不够，很多同学根本不知道。",
            "零工市场没有固定场所，打零工的人只能在路边等活。",
        ],
        "suggestions": [
            "把一次性吸纳就业补贴的申领时限从三个月延长到半年",
            "在每个区县设立常态化的零工驿站，提供免费的岗位信息和休息场所",
            "简化创业担保贷款手续，推行线上申请、限时办结",
            "将灵活就业人员纳入职业伤害保障试点范围",
            "根据企业用工需求开设订单式技能培训，培训合格后直接推荐上岗",
            "对吸纳少数民族高校毕业生就业的企业给予额外的岗位补贴",
            "在政务服务网开设就业政策一站式查询入口，写清楚谁能领、去哪领、多久到账",
            "把公益性岗位的信息按街道公开，接受群众监督",
        ],
        "topic": "就业补贴和创业扶持",
    },
    "社会保障": {
        "issues": [
            "城乡居民养老保险的缴费档次太多，老百姓不知道该选哪一档。",
            "异地就医备案手续虽然简化了，但很多老人还是不会在手机上操作。",
            "医保门诊共济的报销比例和起付线规定得不够清楚，群众咨询电话总是打不通。",
            "失业保险金的领取条件对新就业形态劳动者不太友好。",
            "社保卡补办要跑两个窗口，来回折腾。",
            "退休人员资格认证每年都要做，行动不便的老人很难完成。",
        ],
        "suggestions": [
            "用通俗的语言和实际例子说明各缴费档次到退休时能领多少钱",
            "在社区服务站提供异地就医备案的代办服务",
            "把门诊共济的起付线和报销比例做成一张表，在定点医疗机构张贴",
            "放宽灵活就业人员领取失业保险金的条件",
            "实现社保卡补换领一窗受理、当场办结",
            "对失能半失能老人开展上门认证，或通过数据比对实现无感认证",
            "建立社保待遇调整的公示制度，每年公开调整依据和标准",
            "对困难群体的参保缴费给予分档补助",
        ],
        "topic": "社会保险经办",
    },
    "环境保护": {
        "issues": [
            "冬季供暖期间部分老旧小区周边仍有燃煤小锅炉，空气质量差。",
            "城北片区的建筑工地扬尘问题突出，大风天尤其严重。",
            "河道沿线偶尔能闻到污水的气味，居民多次反映但效果不明显。",
            "垃圾分类投放点设置不合理，有的小区只有一个点，老人走过去很远。",
            "餐饮油烟直排扰民的问题在居民楼底商中比较普遍。",
            "夜间施工噪声投诉多，但执法往往第二天才到现场。",
        ],
        "suggestions": [
            "加快老旧小区周边燃煤设施的清洁能源改造，并公开改造时间表",
            "要求建筑工地安装扬尘在线监测设备，数据实时公开",
            "对河道排污口开展一次全面排查，排查结果向社会公布",
            "按照每三百户不少于一个的标准设置垃圾分类投放点",
            "对居民楼底商餐饮强制安装油烟净化设施并定期检查",
            "建立夜间噪声投诉快速响应机制，接到投诉后两小时内到场",
            "把生态环境违法行为的举报奖励标准写进条例",
            "在社区开展垃圾分类积分兑换活动，提高居民参与积极性",
        ],
        "topic": "生态环境保护",
    },
    "卫生健康": {
        "issues": [
            "社区卫生服务中心的专家号很少，看个慢性病也要去大医院排队。",
            "家庭医生签约后基本没有联系，签约成了走形式。",
            "儿科夜间急诊资源紧张，孩子半夜发烧要等好几个小时。",
            "基层医疗机构的常用药品种不全，高血压、糖尿病的药经常缺货。",
            "预约挂号全靠手机，不会用智能手机的老人挂不上号。",
            "部分医院周边停车难，就医高峰期堵车严重。",
        ],
        "suggestions": [
            "推动三甲医院专家定期到社区卫生服务中心坐诊",
            "明确家庭医生每年至少提供几次上门随访服务，并纳入考核",
            "在各区至少设置一个二十四小时儿科急诊点",
            "让基层医疗机构和二级以上医院的用药目录保持衔接",
            "保留一定比例的现场挂号和电话预约号源给老年人",
            "在大型医院周边增设临时停车位，并优化公交线路",
            "把慢性病长期处方的用量放宽到十二周",
            "公开各医院的平均候诊时间和投诉处理情况",
        ],
        "topic": "基层医疗卫生服务",
    },
    "城市建设管理": {
        "issues": [
            "老旧小区改造时没有征求居民意见，加装的设施不实用。",
            "背街小巷的路灯经常不亮，晚上出行不安全。",
            "小区私搭乱建的问题投诉了很多次，一直没有人处理。",
            "冬季除雪主要集中在主干道，小区出入口和人行道积雪结冰。",
            "部分市政道路反复开挖，今年修了明年又挖。",
            "城市公厕数量少，而且冬季经常关闭。",
        ],
        "suggestions": [
            "老旧小区改造项目在设计阶段就召开居民听证会，方案公示不少于十五天",
            "建立路灯故障的报修平台，明确修复时限",
            "对违法建设实行首违必查、限期拆除",
            "把小区出入口和公交站台的除雪纳入网格化管理",
            "统筹各类管线施工计划，同一路段五年内不得重复开挖",
            "按照服务半径增建公厕，冬季保证正常开放",
            "在城市更新中保留和利用有历史记忆的老建筑",
            "加装电梯的补贴标准和办理流程在街道公开",
        ],
        "topic": "城市建设和管理",
    },
    "城市交通": {
        "issues": [
            "早晚高峰时段公交车间隔太长，站台上挤满了人。",
            "地铁站与公交站之间换乘距离远，冬天走起来很辛苦。",
            "学校周边接送孩子的车辆乱停乱放，造成严重拥堵。",
            "非机动车道被占用，骑电动车上下班很危险。",
            "部分路口信号灯配时不合理，行人绿灯时间太短，老人过不去马路。",
            "共享单车乱停放，挡住了盲道。",
        ],
        "suggestions": [
            "在高峰时段加密主要线路的公交班次，并开通社区微循环公交",
            "优化地铁站和公交站的换乘衔接，增加风雨连廊",
            "在学校周边设置限时停车的接送车位",
            "对占用非机动车道的行为加大执法力度",
            "延长主要路口的行人绿灯时间，增设行人二次过街安全岛",
            "划定共享单车停放区，对乱停放的企业进行处罚",
            "对老年人和残疾人乘坐公交实行全天免费",
            "公开公交车实时到站信息，在站台设置电子站牌",
        ],
        "topic": "公共交通出行",
    },
    "住房保障": {
        "issues": [
            "公租房的申请条件中对户籍的要求，把很多新市民挡在了门外。",
            "保障性租赁住房离就业集中区太远，上下班通勤时间长。",
            "公租房的维修报修响应慢，有的问题拖了半年也没修好。",
            "住房公积金提取用于租房的额度偏低。",
            "物业服务质量和收费标准不匹配，业主意见很大。",
            "部分老旧小区没有物业管理，环境脏乱差。",
        ],
        "suggestions": [
            "取消或放宽公租房申请的户籍限制，以居住证和社保缴纳年限为准",
            "在产业园区周边集中建设保障性租赁住房",
            "建立公租房维修服务的限时办结制度",
            "提高住房公积金租房提取的额度，并实现按月自动提取",
            "公开物业服务标准和收费明细，引入第三方评估",
            "对无物业的老旧小区推行街道托管或居民自治管理",
            "把公租房的轮候名单和分配结果全程公开",
            "对多孩家庭申请保障性住房给予优先",
        ],
        "topic": "住房保障",
    },
    "教育": {
        "issues": [
            "新建小区配套的幼儿园迟迟没有开办，孩子上学要跑很远。",
            "课后服务的内容比较单一，基本就是看着写作业。",
            "一些学校周边的校外培训机构仍在违规收费。",
            "随迁子女入学需要的证明材料太多，家长来回跑。",
            "特殊教育资源不足，残疾儿童入学难。",
            "学校的双语教学师资力量不均衡。",
        ],
        "suggestions": [
            "明确新建小区配套幼儿园与住宅同步规划、同步建设、同步交付",
            "丰富课后服务内容，引入体育、艺术和科普类课程",
            "加强对校外培训机构收费的监管，设立预收费资金监管账户",
            "精简随迁子女入学证明材料，通过部门数据共享核验",
            "在每个区至少办好一所特殊教育学校，推进随班就读",
            "建立城乡学校之间的教师轮岗交流制度",
            "公开学区划分的依据和结果，接受家长监督",
            "为家庭经济困难学生提供免费午餐",
        ],
        "topic": "教育",
    },
    "文化": {
        "issues": [
            "社区文化活动室平时大门紧锁，居民想用也用不上。",
            "公共图书馆开放时间和上班时间重合，上班族去不了。",
            "非物质文化遗产的传承人年纪大了，后继乏人。",
            "一些文化惠民演出的信息发布太晚，想看的人不知道。",
        ],
        "suggestions": [
            "社区文化活动室在晚上和周末向居民开放",
            "公共图书馆延长开放时间，周末和节假日不闭馆",
            "对非遗传承人开展带徒传艺给予补贴",
            "建立文化惠民活动的统一发布平台，提前一周公布",
            "支持各民族群众共同参与的文艺活动进社区",
            "在城市书房中增加少儿阅读区",
        ],
        "topic": "公共文化服务",
    },
    "体育": {
        "issues": [
            "小区周边的健身器材年久失修，有的已经有安全隐患。",
            "学校体育场馆向社会开放的规定落实得不好。",
            "冬季室内运动场地不足，老百姓冬天没地方锻炼。",
            "全民健身活动大多在市区，郊区群众参与少。",
        ],
        "suggestions": [
            "建立健身器材的定期检修制度，明确管护责任单位",
            "推动学校体育场馆在课余时间和节假日向社会开放",
            "利用城市边角地建设冬季室内运动场所",
            "冬季在公园和广场浇筑免费的群众滑冰场",
            "把全民健身活动办到乡镇和社区",
            "对公共体育场馆实行低收费或免费开放",
        ],
        "topic": "全民健身",
    },
    "扶贫救助": {
        "issues": [
            "低保审核周期长，急难家庭等不起。",
            "临时救助的标准偏低，而且很多困难群众不知道可以申请。",
            "因病致贫的家庭在大病报销后自付部分仍然很重。",
            "残疾人两项补贴的申请需要反复提交证明材料。",
        ],
        "suggestions": [
            "对急难情形实行先行救助、事后补办手续",
            "提高临时救助标准，并在社区公开申请渠道",
            "建立因病致贫返贫的动态监测和预警机制",
            "通过部门数据共享，免除残疾人补贴申请中的重复证明",
            "把低保边缘家庭纳入专项救助范围",
            "鼓励社会组织和慈善力量参与帮扶",
        ],
        "topic": "社会救助",
    },
    "食品药品安全": {
        "issues": [
            "学校周边小卖部的食品来源不明，孩子们经常买三无零食。",
            "网络订餐的商家有的没有实体店，后厨卫生让人担心。",
            "农贸市场的农药残留快检结果没有公开。",
            "药店凭处方销售处方药的规定执行不严。",
            "一些保健品宣传会专门骗老年人。",
        ],
        "suggestions": [
            "加强对学校周边食品经营者的日常检查",
            "要求网络订餐平台公示入驻商家的许可证和后厨视频",
            "在农贸市场显著位置每天公示快检结果",
            "对违规销售处方药的药店依法处罚并公开",
            "严厉打击针对老年人的保健品虚假宣传",
            "畅通食品安全投诉举报渠道，举报核实后给予奖励",
        ],
        "topic": "食品药品安全",
    },
    "公共安全": {
        "issues": [
            "高层住宅楼道里堆放杂物、电动车进楼充电，消防隐患大。",
            "老旧小区的消防通道经常被私家车占用。",
            "燃气管道老化，居民担心发生燃气泄漏。",
            "冬季屋檐冰凌坠落砸伤行人的事情时有发生。",
            "一些电信诈骗专门针对老年人和学生。",
        ],
        "suggestions": [
            "在小区集中建设电动自行车充电棚，严禁电动车进楼入户",
            "在消防通道施划标线并安装占道抓拍设备",
            "对使用年限超过二十年的燃气管道开展排查更新",
            "明确建筑物冰凌清除的责任主体，落实巡查",
            "在社区和学校常态化开展反诈宣传",
            "为独居老人免费安装燃气报警器和烟感报警器",
        ],
        "topic": "公共安全",
    },
    "养老服务": {
        "issues": [
            "社区养老服务站大多只在白天开放，晚上和节假日找不到人。",
            "老年助餐点太少，很多独居老人一日三餐都成问题。",
            "养老机构的收费标准不透明，床位费和护理费每年都涨。",
            "失能老人的长期照护费用太高，家庭难以承受。",
            "适老化改造补贴的申请流程复杂，很多老人嫌麻烦放弃了。",
            "养老护理员工资低、流动性大，服务质量难以保证。",
            "居家养老服务补贴的发放对象范围窄，很多高龄老人享受不到。",
        ],
        "suggestions": [
            "把居家养老服务补贴的发放对象扩大到七十五岁以上独居老人",
            "按照每个社区至少一个的标准建设老年助餐点，并提供送餐上门服务",
            "公开养老机构的收费项目和标准，调价前须征求入住老人和家属意见",
            "加快建立长期护理保险制度，减轻失能老人家庭负担",
            "简化适老化改造补贴的申请流程，由社区上门评估、代为申请",
            "提高养老护理员的薪酬待遇，建立按技能等级发放补贴的制度",
            "鼓励社会力量举办社区嵌入式小型养老机构",
            "将新建住宅小区配建的养老服务设施无偿移交社区使用",
            "为高龄、独居老人安装紧急呼叫设备并定期上门探访",
        ],
        "topic": "养老服务",
    },
    "政务服务": {
        "issues": [
            "同一件事要在不同部门重复提交材料。",
            "政务服务大厅中午休息，上班族只能请假去办事。",
            "一网通办的网站和手机端经常登录不上。",
            "12345 热线转办后，处理结果没有回访。",
            "有些窗口工作人员对政策解释不清楚，让群众多跑了好几趟。",
        ],
        "suggestions": [
            "推行一件事一次办，能共享的材料不再让群众重复提交",
            "政务服务大厅实行午间不断档和周末预约服务",
            "提升一网通办平台的稳定性，增加帮办代办功能",
            "对 12345 热线转办事项全部回访并公开满意率",
            "实行首问负责和一次性告知，告知单写明全部所需材料",
            "政策文件公布时同步发布通俗易懂的解读",
        ],
        "topic": "政务服务",
    },
    "便民服务": {
        "issues": [
            "小区周边缺少便民菜店，买菜要走很远。",
            "冬季供暖不达标时，报修后往往要等好几天。",
            "社区快递驿站收费取件，居民意见很大。",
            "老旧小区没有停车位，晚上回家找不到地方停车。",
            "水电气缴费网点少，老人不会用手机缴费。",
        ],
        "suggestions": [
            "在社区规划建设便民菜店和早餐点",
            "明确供暖不达标的报修处理时限和退费标准",
            "规范快递驿站收费行为，保障免费送货上门的权利",
            "利用闲置空地和错时共享解决老旧小区停车难",
            "在社区服务站保留水电气现金缴费服务",
            "建设十五分钟便民生活圈，公开各社区的建设进度",
        ],
        "topic": "便民服务",
    },
    GENERIC: {
        "issues": [
            "相关规定比较原则，群众不清楚具体怎么办理。",
            "基层落实中各区县的标准不统一。",
            "政策宣传不到位，很多符合条件的群众不知道。",
            "办理流程长、环节多，群众要跑好几趟。",
            "对执行情况缺乏监督和公开，群众反映问题没有下文。",
        ],
        "suggestions": [
            "把具体的办理条件、材料和时限写进条款",
            "由市级部门制定统一的执行标准，避免各区县口径不一",
            "在社区和政务新媒体加强政策宣传，用群众听得懂的话讲清楚",
            "推行网上办、就近办，压缩办理时限",
            "建立执行情况的定期公开和评估制度",
            "明确责任部门和投诉渠道",
        ],
        "topic": "相关工作",
    },
}

PLACES = [
    "天山区燕儿窝街道", "天山区和平路街道", "天山区碱泉街街道", "天山区幸福路街道", "沙依巴克区红庙子街道",
    "沙依巴克区西山街道", "沙依巴克区长江路街道", "沙依巴克区炉院街街道", "新市区北京路街道", "新市区二工街道",
    "新市区银川路街道", "新市区北站西路街道", "水磨沟区六道湾街道", "水磨沟区南湖南路街道", "水磨沟区七道湾街道",
    "头屯河区王家沟街道", "头屯河区北站东路街道", "米东区古牧地东路街道", "米东区石化街道", "达坂城区艾维尔沟街道",
    "乌鲁木齐县水西沟镇", "高新区长春中路街道", "经开区嵩山街街道", "天山区团结路街道",
]
OPENERS = [
    "我是{place}的一名退休职工，", "作为{place}的居民，", "我在{place}的社区工作多年，", "我家住在{place}，",
    "我是一名个体工商户，", "本人是{place}一家企业的人事专员，", "我是在乌鲁木齐务工的外地人员，",
    "我是一名在校大学生，", "我是一名基层医务工作者，", "我是一名中学教师，", "作为一名残疾人家属，",
    "我是出租车司机，每天在路上跑，", "我和爱人都是双职工，", "我是{place}的社区志愿者，", "我是一名退役军人，",
    "我是外卖骑手，", "我是小区业委会的成员，", "我是两个孩子的母亲，", "我是一名律师，", "我在{place}开了一家小餐馆，",
    "我父母都已年过八十，", "我是一名社会工作者，", "我是{place}的一名网格员，", "",
]
CLAUSE_REFS = [
    "关于草案第{n}条，", "草案第{n}条规定“{excerpt}”，", "对第{n}条提一点意见：", "第{n}条{heading}的规定",
    "针对第{n}条，", "我仔细看了第{n}条，",
]
FRAMES = ["建议{s}。", "希望{s}。", "能不能{s}？", "恳请{s}。", "我认为应当{s}。", "是否可以考虑{s}？", "强烈建议{s}。"]
CONNECTORS = ["另外，", "同时，", "此外，", "还有，", "再一点，", "最后，"]
REASONS = [
    "这样既能减轻群众负担，也便于基层落实。", "否则政策好是好，群众却享受不到。", "周边城市已有类似做法，效果不错。",
    "这关系到很多家庭的切身利益。", "希望能考虑到普通家庭的实际困难。", "条款表述过于原则，执行中容易产生分歧。",
    "要明确责任部门和办理时限，避免推诿扯皮。", "资金保障要跟上，不能只提要求不给支持。",
    "也要考虑少数民族群众和老年人的使用习惯。", "可以在正式实施前先选几个社区试点。", "执行标准应当公开，接受群众监督。",
    "这是我身边很多人共同的想法。", "",
]
CLOSERS = [
    "以上意见供参考。", "谢谢！", "希望尽快出台。", "盼复。", "辛苦了！", "以上是个人的一点建议。", "支持草案尽快出台。",
    "希望能够采纳。", "", "恳请认真研究。", "感谢政府给群众提意见的机会。", "期待看到修改后的条例。",
]
ORDINALS = ["一是", "二是", "三是", "四是", "五是"]

# 联名信: who signs, and a number-bearing demand (numbers change between copies; the fingerprint ignores them).
CAMPAIGN_SIGNERS = ["{place}全体业主", "{place}部分老年居民", "{place}的家长们", "{place}的个体工商户",
                    "{place}的退休职工", "{place}的网约车司机", "{place}的居民代表"]
CAMPAIGN_DEMANDS = ["并在{n}个工作日内给予答复", "力争{y}年底前落实到位", "覆盖不少于{p}%的社区",
                    "每月补助标准不低于{m}元", "服务点间距不超过{d}米", "每年至少开展{k}次检查"]
CAMPAIGN_PREFACES = ["本人完全赞同以下意见：", "转发邻居的意见，我也是这个想法：", "我同意大家的意见，",
                     "附议：", "和楼里的老邻居们一起提的意见："]

HOLD_REMARKS = [("这些黑心商家必须严查！", "黑心"), ("某些办事人员就是骗子，收了钱不办事。", "骗子"),
                ("物业公司用暴力手段催收费用，必须严肃处理。", "暴力")]
SPAM = ["代办各类证件，价格优惠，联系微信 wx{d}。", "高价回收购物卡、加油卡，电话 {phone}。",
        "兼职刷单，日结工资，加 QQ {d}。", "点击 http://bonus{d}.example.com 领取政府补贴。",
        "专业代写各类材料，包过，联系 {phone}。"]

REPLIES = {
    "adopted": ["感谢您的意见。您提出的关于{topic}的建议已采纳，修改稿{where}已作相应修改。",
                "您的意见很有价值，已采纳。我们将在{where}中予以体现，并在实施细则中进一步明确。"],
    "partly": ["感谢您的意见。经研究，部分采纳：{where}已作调整，其余内容将在配套文件中研究细化。",
               "您关于{topic}的建议部分采纳。受财政承受能力所限，将分步推进，先在部分区县试点。"],
    "not_adopted": ["感谢您的意见。经研究未予采纳，理由是：该事项涉及上位法规定，地方性法规不宜另作规定。",
                    "未采纳。理由：该建议超出本条例调整范围，且现行财政资金难以支撑，我们将在今后工作中研究。",
                    "经研究暂不采纳。理由是：各区县实际情况差异较大，条例作统一规定不利于因地制宜。"],
    "existing": ["您提出的问题，草案{where}已有相关规定，实施中我们将加强宣传和落实。",
                 "关于{topic}，现行有关规定已作明确，我们将督促有关部门严格执行。"],
    "out_of_scope": ["您反映的问题不属于本次征求意见的范围，已转交有关部门研究办理。",
                     "该意见属于具体事项投诉，已转 12345 热线按程序办理，感谢您的关注。"],
}
DECISION_WEIGHTS = [("adopted", 14), ("partly", 21), ("not_adopted", 24), ("existing", 27), ("out_of_scope", 14)]

SHORT_ANSWERS = ["希望尽快实施", "补贴标准偏低", "办理流程要简化", "多听听老年人的意见", "加强监督检查", "增加社区服务点",
                 "资金要落实到位", "宣传要到位", "条款再具体一些", "总体支持", "照顾困难群体", "联系电话 {phone}，欢迎回访"]

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
            "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴孔汤")
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国文辉玲红梅鹏飞燕志宏海峰亮斌云丹萍宇新兰凤"
UYGHUR_GIVEN = ["阿依古丽", "古丽娜尔", "买买提", "艾尔肯", "迪丽拜尔", "热依汗", "努尔古丽", "吐尔逊", "帕提古丽",
                "阿迪力", "米热古丽", "艾克拜尔"]
UYGHUR_FATHER = ["买买提", "艾力", "吐尔逊", "阿不都热合曼", "依明", "卡德尔", "热合曼", "托合提"]
LATIN_SURNAMES = ["wang", "li", "zhang", "liu", "chen", "yang", "huang", "zhao", "wu", "zhou", "xu", "sun", "ma",
                  "zhu", "hu", "guo", "he", "gao", "lin", "aygul", "mamat", "erkin", "dilber", "nur"]
EMAIL_DOMAINS = ["example.org", "example.com", "mail.example.org", "mail.example.com"]


# --- the consultation's shape ------------------------------------------------------------------------


@dataclass
class Clause:
    number: str
    heading: str = ""
    excerpt: str = ""


@dataclass
class Shape:
    """What the generator needs to know about the consultation (read from the page by the command)."""

    categories: list
    clauses: list = field(default_factory=list)  # [Clause]
    questions: list = field(default_factory=list)  # [(block_id, kind, value dict)]
    start: datetime.datetime = None
    end: datetime.datetime = None  # submissions fall in [start, end)
    decided_from: datetime.datetime = None  # replies are dated from here …
    decided_until: datetime.datetime = None  # … to here
    require_name: bool = False
    require_contact: bool = False
    focus: list = field(default_factory=list)  # categories the consultation is about: they draw the most


def shape_from_page(page, now):
    """A Shape for a ConsultationPage: its categories, clauses (with a short excerpt) and questions."""
    from django.utils.html import strip_tags

    clauses = []
    for block in page.draft:
        if block.block_type == "clause":
            text = re.sub(r"\s+", "", strip_tags(str(block.value.get("text") or "")))
            clauses.append(Clause(str(block.value["number"]), (block.value.get("heading") or "").strip(),
                                  text[:14].rstrip("，。；、")))
    start, end = page.start_at, page.end_at
    if now <= end:
        # Open (or not yet open): nothing from the future; replies so far fall between submission and now.
        end = min(end, max(now, start + datetime.timedelta(seconds=1)))
        decided_from, decided_until = start, max(now, start)
    else:
        # Closed: replies are written in the weeks after the deadline.
        decided_from, decided_until = end, max(min(now, end + datetime.timedelta(days=25)), end)
    about = f"{page.title} {page.summary} {page.topics}"
    categories = page.category_list()
    return Shape(categories=categories, clauses=clauses, questions=page.questions(), start=start, end=end,
                 decided_from=decided_from, decided_until=decided_until, require_name=page.require_real_name,
                 require_contact=page.contact_requirement == "required",
                 focus=[c for c in categories if c in about])


# --- people --------------------------------------------------------------------------------------------


def chinese_name(rng):
    roll = rng.random()
    if roll < 0.12:
        return f"{rng.choice(UYGHUR_GIVEN)}·{rng.choice(UYGHUR_FATHER)}"
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def mobile(index, salt):
    """139 + 8 digits, distinct for distinct indexes: an affine permutation of 0 … 10**8 − 1."""
    return f"139{(index * 48271 + salt) % 10**8:08d}"


def client_hash_for(seed, key):
    return hashlib.sha256(f"scale:{seed}:{key}".encode()).hexdigest()[:32]


@dataclass
class Person:
    name: str
    phone: str
    email: str
    client_hash: str

    @property
    def identity(self):
        """What consultations.results counts as one participant: e-mail, else phone, else client."""
        return self.email or self.phone or self.client_hash


def make_people(rng, count, seed, require_name=False, require_contact=False):
    """``count`` distinct participants. E-mail addresses, phone numbers and anonymous clients never repeat;
    a few people with contact details share an address (an office network), as in real traffic."""
    salt = rng.randrange(10**8)
    offices = [client_hash_for(seed, f"office-{i}") for i in range(max(1, count // 200))]
    people = []
    for i in range(count):
        roll = rng.random()
        kind = "email" if roll < 0.40 else "phone" if roll < 0.65 else "anonymous"
        if require_contact and kind == "anonymous":
            kind = "phone"
        email = phone = ""
        if kind == "email":
            email = f"{rng.choice(LATIN_SURNAMES)}.{i:05d}{rng.randrange(100):02d}@{rng.choice(EMAIL_DOMAINS)}"
            if rng.random() < 0.4:
                phone = mobile(i, salt)
        elif kind == "phone":
            phone = mobile(i, salt)
        name = chinese_name(rng) if require_name or rng.random() < 0.6 else ""
        shared = kind != "anonymous" and rng.random() < 0.08
        client = rng.choice(offices) if shared else client_hash_for(seed, f"person-{i}")
        people.append(Person(name, phone, email, client))
    return people


def allocate(rng, opinions, participants):
    """How many opinions each person sends: at least one each, the rest heavy-tailed (log-normal weights)."""
    if participants < 1 or opinions < participants:
        raise ValueError("意见数量不能少于参与人数 / opinions must be ≥ participants ≥ 1")
    counts = [1] * participants
    extra = opinions - participants
    if extra:
        weights = [rng.lognormvariate(0, 1.3) for _ in range(participants)]
        cumulative, total = [], 0.0
        for w in weights:
            total += w
            cumulative.append(total)
        for _ in range(extra):
            counts[min(bisect.bisect_left(cumulative, rng.random() * total), participants - 1)] += 1
    return counts


# --- time ------------------------------------------------------------------------------------------------

# Beijing time: quiet at night, busy around lunch and in the evening.
HOUR_WEIGHTS = [0.15, 0.08, 0.05, 0.04, 0.04, 0.08, 0.2, 0.45, 0.75, 0.95, 1.0, 1.0, 0.95, 0.8, 0.85, 0.9, 0.9,
                0.85, 0.8, 0.9, 1.0, 0.95, 0.7, 0.35]
UTC_OFFSET = 8  # Asia/Shanghai: no daylight saving time


def time_weight(position, hour):
    """position ∈ [0, 1) over the consultation: a first-days peak, a long middle, a deadline rush."""
    wave = 1.0 + 1.6 * math.exp(-position * 12) + 2.2 * math.exp(-(1 - position) * 14)
    return wave * HOUR_WEIGHTS[hour]


def submission_time(rng, start, end):
    span = (end - start).total_seconds()
    if span <= 0:
        return start
    ceiling = 3.6
    for _ in range(50):  # rejection sampling, bounded
        offset = rng.random() * span
        moment = start + datetime.timedelta(seconds=offset)
        hour = (moment.astimezone(datetime.UTC).hour + UTC_OFFSET) % 24
        if rng.random() * ceiling <= time_weight(offset / span, hour):
            return moment
    return moment


def clamp(moment, start, end):
    latest = end - datetime.timedelta(seconds=1) if end - start > datetime.timedelta(seconds=1) else start
    return min(max(moment, start), latest)


# --- texts -------------------------------------------------------------------------------------------------


class TextMaker:
    def __init__(self, rng, shape):
        self.rng = rng
        self.shape = shape

    def bank(self, category):
        return PHRASES.get(category) or PHRASES[GENERIC]

    def clause_ref(self, clause):
        rng = self.rng
        template = rng.choice(CLAUSE_REFS)
        if "{excerpt}" in template and not clause.excerpt:
            template = CLAUSE_REFS[0]
        heading = f"（{clause.heading}）" if clause.heading else ""
        return template.format(n=clause.number, excerpt=clause.excerpt, heading=heading)

    def suggestion(self, bank, exclude=None):
        choices = [s for s in bank["suggestions"] if s != exclude] or bank["suggestions"]
        return self.rng.choice(choices)

    def free_text(self, category, clause):
        """A resident's own opinion: one of several shapes, from a sentence to a numbered letter."""
        rng = self.rng
        bank = self.bank(category)
        generic = PHRASES[GENERIC]
        place = rng.choice(PLACES)
        opener = rng.choice(OPENERS).format(place=place)
        ref = self.clause_ref(clause) if clause else ""
        foreign = category not in PHRASES  # a category of the page's own: say which one
        about = f"在{category}方面，" if foreign else ""
        issue = rng.choice(bank["issues"] + (generic["issues"] if rng.random() < 0.15 else []))
        first = self.suggestion(bank)
        roll = rng.random()
        if roll < 0.08:  # short
            return f"{place}居民：{ref}{about}{rng.choice(FRAMES).format(s=first)}{rng.choice(CLOSERS)}"
        if roll < 0.13:  # long, numbered
            points = rng.sample(bank["suggestions"], k=min(len(bank["suggestions"]), rng.randint(3, 5)))
            body = "；".join(f"{ORDINALS[i]}{p}" for i, p in enumerate(points))
            issues = "".join(rng.sample(bank["issues"], k=min(2, len(bank["issues"]))))
            return (f"{opener}{ref}{about}结合自己的经历谈几点看法。{issues}为此建议：{body}。"
                    f"{rng.choice(REASONS)}{rng.choice(REASONS)}{rng.choice(CLOSERS)}")
        if roll < 0.55:
            return f"{opener}{ref}{about}{issue}{rng.choice(FRAMES).format(s=first)}{rng.choice(REASONS)}{rng.choice(CLOSERS)}"
        if roll < 0.85:
            second = self.suggestion(bank, exclude=first)
            return (f"{ref}{about}{rng.choice(FRAMES).format(s=first)}{rng.choice(CONNECTORS)}"
                    f"{rng.choice(FRAMES).format(s=second)}{rng.choice(REASONS)}{rng.choice(CLOSERS)}")
        return f"{opener}{about}{issue}{ref}{rng.choice(FRAMES).format(s=first)}{place}很多居民都有同感。{rng.choice(CLOSERS)}"

    def campaign_base(self, category, clause):
        """A 联名信 campaign: (text before, demand with number slots, text after)."""
        rng = self.rng
        bank = self.bank(category)
        place = rng.choice(PLACES)
        signers = rng.choice(CAMPAIGN_SIGNERS).format(place=place)
        ref = self.clause_ref(clause) if clause else ""
        before = f"我们是{signers}，{ref}{rng.choice(bank['issues'])}我们联名强烈建议：{self.suggestion(bank)}，"
        return before, rng.choice(CAMPAIGN_DEMANDS), f"。{rng.choice(REASONS)}请予以采纳！"

    def campaign_copy(self, base, canonical):
        """A copy as sent: mostly identical; else the same words with other punctuation or numbers (same
        fingerprint); else with a personal preface (near-identical, a fingerprint of its own)."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.55:
            return canonical
        if roll < 0.80:
            text = canonical
            swaps = [("，", ","), ("。", "."), ("：", ":"), ("！", "!!"), ("，", "， "), ("。", "。\n")]
            for old, new in rng.sample(swaps, k=2):
                text = text.replace(old, new)
            return text + rng.choice(["", " ", "！", "。。"])
        if roll < 0.90:
            return self.fill(base)
        return rng.choice(CAMPAIGN_PREFACES) + canonical

    def fill(self, base):
        before, demand, after = base
        rng = self.rng
        return before + demand.format(
            n=rng.choice([5, 7, 10, 15, 30]), y=rng.choice([2025, 2026, 2027]), p=rng.choice([60, 80, 90, 100]),
            m=rng.choice([200, 300, 500, 800]), d=rng.choice([300, 500, 1000]), k=rng.choice([2, 4, 12])) + after

    def spam(self, phone):
        return self.rng.choice(SPAM).format(d=self.rng.randrange(10**6, 10**9), phone=phone)

    def reply(self, decision, category, clause):
        where = f"第{clause.number}条" if clause else "相关条款"
        topic = self.bank(category)["topic"] if category in PHRASES else category
        return self.rng.choice(REPLIES[decision]).format(where=where, topic=topic)


# --- the plan -------------------------------------------------------------------------------------------------


@dataclass
class Row:
    """One opinion to store, in submission order (a pk follows; receipt and duplicate group are set in SQL)."""

    submitted_at: datetime.datetime
    person: Person
    idempotency_key: str
    category: str
    clause_number: str
    text: str
    moderation_status: str
    sensitive_words: list
    decision: str = ""
    reply: str = ""
    decided_at: datetime.datetime = None
    answers: list = field(default_factory=list)  # dicts for QuestionAnswer(question_id=…, choice/rating/text=…)
    campaign: int = -1


@dataclass
class Plan:
    rows: list
    people: list
    campaigns: int


def weighted(rng, pairs):
    total = sum(w for _, w in pairs)
    roll = rng.random() * total
    for value, w in pairs:
        roll -= w
        if roll < 0:
            return value
    return pairs[-1][0]


def category_weights(rng, categories, focus=()):
    """Zipf-like: a few categories draw most opinions; those the consultation is about come first."""
    rest = [c for c in categories if c not in focus]
    rng.shuffle(rest)
    order = [c for c in categories if c in focus] + rest
    return [(c, 1.0 / (rank + 1) ** 0.9) for rank, c in enumerate(order)]


def campaign_sizes(rng, total):
    """Heavy-tailed sizes summing to ``total``: many small groups, a few very large ones."""
    sizes, left = [], total
    cap = max(2, total // 5)
    while left > 0:
        size = min(cap, max(2, int(rng.paretovariate(1.05) * 4)))
        size = min(size, left)
        if size < 2 and sizes:
            sizes[-1] += size
            break
        sizes.append(size)
        left -= size
    return sizes


def questionnaire_answers(rng, questions):
    answers = []
    for block_id, kind, value in questions:
        if not value.get("required") and rng.random() > 0.45:
            continue
        if kind == "choice":
            options = [o.strip() for o in value["options"].splitlines() if o.strip()]
            if not options:
                continue
            weights = [(o, 1.0 / (i + 1)) for i, o in enumerate(options)]
            if value.get("multiple"):
                picked = {weighted(rng, weights) for _ in range(rng.randint(1, 3))}
                answers.extend({"question_id": block_id, "choice": o} for o in options if o in picked)
            else:
                answers.append({"question_id": block_id, "choice": weighted(rng, weights)})
        elif kind == "rating":
            answers.append({"question_id": block_id,
                            "rating": weighted(rng, [(1, 5), (2, 9), (3, 21), (4, 35), (5, 30)])})
        else:
            from .privacy import mask_personal_data

            text = rng.choice(SHORT_ANSWERS).format(phone=mobile(rng.randrange(10**6), 7))
            answers.append({"question_id": block_id, "text": mask_personal_data(text)[:200]})
    return answers


def plan_opinions(shape, opinions, participants, seed=1, duplicates_share=0.15, decided_share=0.6):
    """All rows, in submission order. Deterministic for the same arguments."""
    if not shape.categories:
        raise ValueError("意见征集没有意见类别 / the consultation has no categories")
    if not 0 <= duplicates_share < 1 or not 0 <= decided_share <= 1:
        raise ValueError("duplicates_share ∈ [0, 1), decided_share ∈ [0, 1]")
    rng = random.Random(seed)
    texts = TextMaker(rng, shape)
    people = make_people(rng, participants, seed, shape.require_name, shape.require_contact)
    counts = allocate(rng, opinions, participants)
    cat_weights = category_weights(rng, shape.categories, shape.focus)
    clause_pool = shape.clauses

    def pick_clause():
        if clause_pool and rng.random() < 0.55:
            return rng.choice(clause_pool)
        return None

    # Slots: (time, person index, campaign index or -1).
    owners = [i for i, n in enumerate(counts) for _ in range(n)]
    rng.shuffle(owners)
    in_campaigns = int(round(opinions * duplicates_share))
    sizes = campaign_sizes(rng, in_campaigns) if in_campaigns >= 2 else []
    campaigns = []
    for _ in sizes:
        category = weighted(rng, cat_weights)
        clause = pick_clause()
        decided = rng.random() < decided_share
        decision = weighted(rng, DECISION_WEIGHTS) if decided else ""
        campaigns.append({
            "category": category, "clause": clause, "base": (base := texts.campaign_base(category, clause)), "canonical": texts.fill(base),
            "center": submission_time(rng, shape.start, shape.end),
            "spread": datetime.timedelta(hours=rng.uniform(1, 18)),
            "decision": decision, "reply": texts.reply(decision, category, clause) if decided else "",
        })
    campaign_of = [c for c, size in enumerate(sizes) for _ in range(size)]
    campaign_of += [-1] * (opinions - len(campaign_of))
    rng.shuffle(campaign_of)

    slots = []
    for owner, campaign in zip(owners, campaign_of, strict=True):
        if campaign >= 0:
            spec = campaigns[campaign]
            moment = clamp(spec["center"] + abs(rng.gauss(0, 1)) * spec["spread"], shape.start, shape.end)
        else:
            moment = submission_time(rng, shape.start, shape.end)
        slots.append((moment, owner, campaign))
    slots.sort(key=lambda s: (s[0], s[1]))

    rows, seen = [], set()
    for moment, owner, campaign in slots:
        person = people[owner]
        first_of_person = owner not in seen
        seen.add(owner)
        hits = []
        if campaign >= 0:
            spec = campaigns[campaign]
            category, clause = spec["category"], spec["clause"]
            text = texts.campaign_copy(spec["base"], spec["canonical"])
            decision, reply = spec["decision"], spec["reply"]
            status = weighted(rng, [("approved", 80), ("hidden", 12), ("pending", 8)]) if decision else \
                weighted(rng, [("pending", 55), ("approved", 40), ("hidden", 5)])
        else:
            category, clause = weighted(rng, cat_weights), pick_clause()
            spam = not first_of_person and rng.random() < 0.025
            if spam:
                text = texts.spam(mobile(rng.randrange(10**7), 3))
                answers = questionnaire_answers(rng, shape.questions) if shape.questions else []  # required ones too
                rows.append(Row(moment, person, f"{rng.getrandbits(128):032x}", category, "", text, "spam", [],
                                answers=answers))
                continue
            text = texts.free_text(category, clause)
            if rng.random() < 0.03:  # personal data typed into the text: masked in the public text
                text += rng.choice(["我的电话是 {p}，欢迎联系。", "如需了解情况请打 {p}。", "联系电话：{p}。"]).format(
                    p=person.phone or mobile(rng.randrange(10**7), 11))
            decided = rng.random() < decided_share
            decision = weighted(rng, DECISION_WEIGHTS) if decided else ""
            reply = texts.reply(decision, category, clause) if decided else ""
            if decided:
                status = weighted(rng, [("approved", 88), ("hidden", 9), ("held", 3)])
            else:
                status = weighted(rng, [("pending", 55), ("approved", 35), ("hidden", 6), ("held", 4)])
            if status == "held":
                remark, word = rng.choice(HOLD_REMARKS)
                text += remark
                hits = [word]
        decided_at = None
        if decision:
            low = max(shape.decided_from, moment)
            high = max(shape.decided_until, low)
            decided_at = low + (high - low) * rng.random()
        answers = questionnaire_answers(rng, shape.questions) if shape.questions else []
        rows.append(Row(moment, person, f"{rng.getrandbits(128):032x}", category, clause.number if clause else "",
                        text, status, hits, decision, reply, decided_at, answers, campaign))
    return Plan(rows=rows, people=people, campaigns=len(campaigns))

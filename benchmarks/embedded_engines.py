#!/usr/bin/env python
"""嵌入式检索选型基准 · Chinese segmenter and embedded search engine benchmark for the hotline Q&A search.

Chooses (1) the word segmenter, jieba or rjieba, and (2) the embedded engine, SQLite FTS5 or tantivy-py,
on a generated but realistic corpus of 12345-hotline questions and answers. Standalone: no Django, no
project database. Run from the repository root:

    .venv/bin/python benchmarks/embedded_engines.py                          # 100k and 1M entries (10–14 min)
    .venv/bin/python benchmarks/embedded_engines.py --sizes 100000 --queries 50   # a quick look (~1 min)
    .venv/bin/python benchmarks/embedded_engines.py --baseline benchmarks/results/embedded_engines-<stamp>.json

Steps:

1. 语料 corpus — N entries generated deterministically from --seed (entry i depends only on the seed and
   i, so the first 100k of a 1M run are the 100k run): a colloquial question of 10–30 characters and a
   government-style answer of 80–300 characters, from templates and vocabulary of 16 city domains
   (就业创业 … 政务服务), departments (市人社局 …), policies with 文号 (乌政办〔2021〕83号), Zipf-weighted
   so some domains, service items and terms are common and others rare.
2. 分词 segmenter — jieba.cut vs rjieba.cut and jieba.cut_for_search vs rjieba.cut_for_search on the
   first --seg-entries entries: characters per second (median of --seg-runs, round-robin), the share of
   texts segmented identically, add_word (user dictionary) with the same effect in both, cold import and
   initialisation in a fresh interpreter (median of 5), and the RSS each adds.
3. 分词器演示 tokenizer check — why FTS5's unicode61 on raw Chinese and the trigram tokenizer do not do:
   printed from a tiny in-memory table.
4. 引擎 engines — the corpus segmented once (rjieba.cut_for_search with the domain user dictionary,
   punctuation dropped and split at, lower-cased, tokens joined by spaces), then for each size, each engine in its own
   child process (so RSS is the engine's own): build the index (--build-runs, median; once at ≥ 1M),
   size on disk, RSS, then the same queries on both, top 10 by BM25:
     * SQLite FTS5, a table over the space-joined tokens (it stores them: SQLite 3.40 cannot delete from a
       contentless table), tokenizer unicode61,
       ``WHERE qa MATCH ? ORDER BY rank LIMIT 10`` (rank = bm25);
     * tantivy-py, a whitespace + lowercase TextAnalyzer registered on the index, queries from
       Query.term_query / Query.boolean_query, searcher.search(query, 10), stored ids fetched.
   Query types (--queries of each): two rare terms AND, one very common term, three-term OR, four terms with
   at least two matching (tantivy minimum_number_should_match=2; FTS5 the OR of the six AND pairs, the same
   set). Terms are taken from a random entry, by document frequency, so every query matches something.
   Latency: per query the median of --rounds after --warmup passes, then p50/p95 over the queries. Both
   engines must return the same number of matches for every query (checked and reported).

Results go to benchmarks/results/embedded_engines-<stamp>.json (git-ignored). The doc that records the
choice is docs/search-engine-choice.md.
"""
import argparse
import bisect
import datetime
import gc
import importlib.metadata
import itertools
import json
import os
import platform
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPO / "benchmarks" / "results"
FORMAT_VERSION = 1
BLOCK = 1000  # entries per random stream: entry i comes from stream (seed, i // BLOCK)
TASK = 20_000  # entries per worker task when segmenting the corpus
QUERY_TYPES = {
    "and2_rare": "两个罕见词 AND · two rare terms AND",
    "common1": "一个高频词 · one very common term",
    "or3": "三个词 OR · three-term OR",
    "msm4": "四词至少两个 · 4 terms, ≥ 2 must match",
}

# --- vocabulary ----------------------------------------------------------------------------------------
# 16 domains. items: service matters callers ask about (most common first; Zipf-weighted), terms: nouns the
# answers use, who: who is asking, policies: (title, 文号), materials, places.

DOMAINS = [
    {
        "name": "就业创业", "details": "招聘会 简历 试用期 工资拖欠 社保断缴 培训机构 电工证 焊工 育婴师 家政服务 外卖骑手 网约车司机 快递员 直播带货 小微企业 孵化基地 贷款贴息 担保人 征信 营业执照 见习补贴 求职补贴 离职证明 劳动仲裁 零工驿站 夜市摊位".split(), "dept": ["市人社局", "市就业服务中心"],
        "items": ["失业保险金申领", "灵活就业人员社保补贴", "创业担保贷款", "就业失业登记", "职业技能培训补贴",
                  "一次性创业补贴", "高校毕业生就业见习", "稳岗返还", "技能提升补贴", "公益性岗位", "就业困难人员认定",
                  "零工市场求职登记"],
        "terms": ["失业保险金", "灵活就业人员", "就业创业证", "创业担保贷款", "职业技能等级证书", "失业登记",
                  "就业困难人员", "高校毕业生", "社会保险补贴", "用人单位", "劳动合同", "见习基地"],
        "who": ["刚毕业的大学生", "灵活就业人员", "失业人员", "个体工商户", "退役军人", "返乡创业人员"],
        "policies": [("乌鲁木齐市就业创业补贴资金管理办法", "乌人社发〔2022〕41号"),
                     ("关于进一步稳定和扩大就业的若干措施", "乌政办〔2021〕83号"),
                     ("乌鲁木齐市创业担保贷款实施细则", "乌人社规〔2020〕3号")],
        "materials": ["身份证", "就业创业证", "社会保障卡", "失业登记证明", "银行卡", "劳动合同解除证明", "营业执照"],
    },
    {
        "name": "社会保障", "details": "退休金 养老金调整 认证 补缴 断缴 视同缴费 档案 工龄 退休年龄 延迟退休 个人账户 缴费档次 工伤 职业病 伤残鉴定 丧葬费 抚恤金 遗属 社保卡密码 社保卡金融账户 参保证明 缴费明细 跨省转移 中断 重复参保".split(), "dept": ["市人社局", "市社会保险管理局"],
        "items": ["社保缴费", "养老保险关系转移", "退休手续办理", "社保卡补办", "养老金资格认证", "城乡居民养老保险参保",
                  "社保缴费记录查询", "工伤认定", "养老保险补缴", "丧葬补助金领取", "社保卡激活", "个人账户退费"],
        "terms": ["社会保险", "基本养老保险", "社保卡", "城乡居民基本养老保险", "缴费基数", "个人账户", "视同缴费年限",
                  "养老金", "工伤保险", "缴费年限", "退休审批", "社会保障卡"],
        "who": ["企业职工", "灵活就业人员", "退休人员", "外地来乌务工人员", "城乡居民", "快到退休年龄的职工"],
        "policies": [("乌鲁木齐市城乡居民基本养老保险实施办法", "乌政发〔2019〕26号"),
                     ("关于做好企业职工基本养老保险关系转移接续工作的通知", "乌人社发〔2021〕57号"),
                     ("乌鲁木齐市灵活就业人员参加基本养老保险办法", "乌政办〔2020〕112号")],
        "materials": ["身份证", "社会保障卡", "户口簿", "参保缴费凭证", "退休审批表", "银行卡", "一寸照片"],
    },
    {
        "name": "医疗保险", "details": "住院费 门诊费 药费 透析 糖尿病 高血压 肿瘤 康复 孕检 分娩 新生儿 体检 牙科 眼科 中药 处方 起付线 封顶线 自费药 医保目录 定点药店 转诊 急诊 备案期限 报销进度".split(), "dept": ["市医保局", "市医疗保障服务中心"],
        "items": ["异地就医备案", "医保报销", "城乡居民医保缴费", "门诊慢特病申请", "医保关系转移", "医保个人账户使用",
                  "生育津贴申领", "医保电子凭证激活", "大病保险报销", "门诊统筹报销", "医保卡挂失", "长期护理保险"],
        "terms": ["基本医疗保险", "异地就医", "医保电子凭证", "门诊慢特病", "定点医疗机构", "起付标准", "报销比例",
                  "城乡居民医保", "职工医保", "医保个人账户", "生育保险", "大病保险"],
        "who": ["退休人员", "在外地工作的职工", "城乡居民", "新生儿家长", "慢性病患者", "灵活就业人员"],
        "policies": [("乌鲁木齐市基本医疗保险门诊慢特病管理办法", "乌医保发〔2022〕18号"),
                     ("关于进一步做好基本医疗保险跨省异地就医直接结算工作的通知", "乌医保发〔2023〕7号"),
                     ("乌鲁木齐市城乡居民基本医疗保险实施办法", "乌政办〔2021〕64号")],
        "materials": ["身份证", "医保电子凭证", "社会保障卡", "诊断证明", "住院病历", "医疗费用发票", "出生医学证明"],
    },
    {
        "name": "住房公积金", "details": "首付 房贷 二手房 期房 装修 租金 月供 贷款利率 额度 余额 冲还贷 销户 封存 离职 退休 出境定居 大病 提取额度 贷款年限 共同借款人 担保 征信报告 商转公 异地贷款 缴存基数".split(), "dept": ["市住房公积金管理中心"],
        "items": ["住房公积金提取", "公积金贷款", "公积金租房提取", "公积金账户转移", "公积金缴存基数调整", "离职提取公积金",
                  "公积金异地转移接续", "公积金贷款提前还款", "灵活就业人员缴存公积金", "公积金缴存证明", "退休提取公积金",
                  "公积金冲还贷"],
        "terms": ["住房公积金", "住房公积金提取", "缴存基数", "公积金贷款", "缴存比例", "个人住房贷款", "贷款额度",
                  "租房提取", "公积金账户", "缴存职工", "商业贷款", "缴存证明"],
        "who": ["缴存职工", "刚换工作的职工", "租房的职工", "准备买房的市民", "退休职工", "灵活就业人员"],
        "policies": [("乌鲁木齐住房公积金提取管理办法", "乌公积金发〔2021〕15号"),
                     ("乌鲁木齐住房公积金个人住房贷款管理办法", "乌公积金发〔2022〕9号"),
                     ("关于调整住房公积金缴存基数和缴存比例的通知", "乌公积金发〔2023〕21号")],
        "materials": ["身份证", "购房合同", "不动产权证书", "租房合同", "婚姻证明", "银行卡", "离职证明"],
    },
    {
        "name": "义务教育入学", "details": "学区房 施教区 一年级 七年级 幼升小 小升初 民办初中 摇号 学位 报名系统 户籍学生 租房入学 随迁子女 转学 借读 学籍号 校车 午托 课后服务 作业负担 校服 营养餐 特殊教育 插班 入学年龄".split(), "dept": ["市教育局", "区教育局"],
        "items": ["小学入学登记", "初中入学划片", "随迁子女入学", "转学手续", "学区划分查询", "入学材料审核",
                  "民办学校招生", "学籍转接", "残疾儿童入学", "插班生申请", "义务教育阶段转学", "入学报名系统登记"],
        "terms": ["义务教育", "学区", "划片招生", "随迁子女", "居住证", "学籍", "入学报名", "适龄儿童", "户籍", "房产证明",
                  "民办学校", "公办学校"],
        "who": ["孩子明年上小学的家长", "外地来乌务工人员", "刚搬家的家长", "小升初学生家长", "随迁子女家长"],
        "policies": [("乌鲁木齐市义务教育阶段学校招生入学工作实施意见", "乌教发〔2023〕12号"),
                     ("关于做好进城务工人员随迁子女接受义务教育工作的通知", "乌教发〔2022〕30号"),
                     ("乌鲁木齐市中小学学籍管理实施细则", "乌教规〔2020〕2号")],
        "materials": ["户口簿", "居住证", "房产证明", "出生医学证明", "预防接种证", "租赁合同", "父母身份证"],
    },
    {
        "name": "养老服务", "details": "助餐 助浴 上门护理 陪诊 护工 养老院 床位费 护理等级 失能评估 高龄补贴 百岁老人 敬老院 日托 适老化 扶手 紧急呼叫 智慧养老 养老顾问 老年食堂 老年大学 广场舞 健身器材 轮椅 助听器 老年证".split(), "dept": ["市民政局"],
        "items": ["高龄津贴申领", "养老机构入住", "居家养老服务补贴", "老年人优待证办理", "社区食堂助餐", "适老化改造",
                  "养老服务补贴", "失能老人护理补贴", "日间照料中心服务", "老年大学报名", "家庭养老床位", "养老机构投诉"],
        "terms": ["高龄津贴", "养老机构", "居家养老", "老年人优待证", "养老服务补贴", "失能老人", "日间照料中心",
                  "社区养老服务站", "助餐服务", "适老化改造", "长期照护", "养老床位"],
        "who": ["八十岁以上老人", "老人子女", "独居老人", "失能老人家属", "退休人员"],
        "policies": [("乌鲁木齐市高龄津贴发放管理办法", "乌民发〔2021〕36号"),
                     ("乌鲁木齐市居家和社区养老服务改革试点实施方案", "乌政办〔2020〕71号"),
                     ("关于加快发展养老服务业的实施意见", "乌政发〔2019〕44号")],
        "materials": ["身份证", "户口簿", "老年人优待证", "银行卡", "能力评估报告", "一寸照片"],
    },
    {
        "name": "城市交通", "details": "公交站台 首末班车 发车间隔 BRT 快速路 高架 匝道 红绿灯 斑马线 违停 罚单 扣分 电子眼 停车费 停车泊位 充电桩 共享单车 出租车拒载 绕路 网约车平台 公交卡充值 老年卡 学生卡 地铁站 施工围挡".split(), "dept": ["市交通运输局", "市公安局交通管理局"],
        "items": ["公交线路调整", "违章处理", "驾驶证换证", "停车收费投诉", "地铁运营时间", "出租车投诉", "老年人乘车卡",
                  "机动车年检", "占道施工", "共享单车停放", "网约车资格证", "临时号牌办理"],
        "terms": ["公交线路", "交通违法", "驾驶证", "停车位", "地铁", "出租汽车", "公交卡", "机动车", "网约车", "交通信号灯",
                  "停车场", "BRT"],
        "who": ["每天坐公交上班的市民", "私家车车主", "出租车司机", "老年人", "外地来乌人员"],
        "policies": [("乌鲁木齐市公共交通条例", "乌政发〔2018〕15号"),
                     ("乌鲁木齐市机动车停放服务收费管理办法", "乌发改价〔2021〕88号"),
                     ("乌鲁木齐市网络预约出租汽车经营服务管理实施细则", "乌交发〔2022〕6号")],
        "materials": ["身份证", "驾驶证", "行驶证", "机动车登记证书", "体检证明", "老年人优待证"],
    },
    {
        "name": "住房保障", "details": "公租房 廉租房 租金 轮候 摇号 配租 退出 人才公寓 租房补贴 保障房小区 物业费 电梯 漏水 外墙保温 加装电梯 楼道 化粪池 屋面防水 维修资金 业委会 物业公司 小区停车 违建 群租 拆迁".split(), "dept": ["市住房和城乡建设局", "市住房保障中心"],
        "items": ["公租房申请", "保障性租赁住房", "租房补贴", "人才公寓申请", "廉租房资格复核", "公租房租金缴纳",
                  "棚户区改造安置", "老旧小区改造", "公租房退出", "住房困难家庭认定", "物业纠纷", "房屋维修资金"],
        "terms": ["公共租赁住房", "保障性租赁住房", "住房困难家庭", "租赁补贴", "人才公寓", "老旧小区改造", "物业服务",
                  "住宅专项维修资金", "棚户区改造", "轮候", "租金标准", "不动产权证书"],
        "who": ["住房困难家庭", "新就业大学生", "外来务工人员", "公租房租户", "老旧小区居民"],
        "policies": [("乌鲁木齐市公共租赁住房管理办法", "乌政办〔2019〕95号"),
                     ("关于加快发展保障性租赁住房的实施意见", "乌政办〔2022〕23号"),
                     ("乌鲁木齐市住宅专项维修资金管理办法", "乌建发〔2020〕77号")],
        "materials": ["身份证", "户口簿", "收入证明", "婚姻证明", "劳动合同", "不动产登记查询证明"],
    },
    {
        "name": "食品药品安全", "details": "过期牛奶 奶粉 月饼 馕 牛肉 羊肉 烤肉 拌面 酸奶 蛋糕 外卖 小吃摊 农药残留 瘦肉精 保质期 生产日期 假药 处方药 保健品 减肥药 化妆品 医疗器械 口罩 中药材 三无产品".split(), "dept": ["市市场监督管理局"],
        "items": ["食品安全投诉", "过期食品举报", "餐饮店卫生投诉", "药品质量投诉", "食品经营许可证办理", "网络订餐投诉",
                  "保健食品虚假宣传", "农贸市场检测", "校园食品安全", "医疗器械投诉", "小作坊登记", "食品标签问题"],
        "terms": ["食品安全", "食品经营许可证", "药品", "保健食品", "餐饮服务", "过期食品", "投诉举报", "医疗器械",
                  "食品抽检", "网络订餐", "市场监管", "消费者权益"],
        "who": ["消费者", "餐饮店老板", "学生家长", "网购消费者", "小作坊经营者"],
        "policies": [("乌鲁木齐市食品安全监督管理办法", "乌政发〔2020〕31号"),
                     ("乌鲁木齐市食品小作坊小餐饮和食品摊贩管理条例实施细则", "乌市监发〔2021〕19号"),
                     ("关于加强药品零售企业监督管理的通知", "乌市监发〔2022〕45号")],
        "materials": ["身份证", "购物小票", "照片", "营业执照", "健康证明", "食品经营许可证"],
    },
    {
        "name": "公共安全", "details": "噪音 广场舞 装修噪音 宠物狗 养狗 烟花爆竹 电动车 飞线充电 楼道堆物 消防通道 灭火器 燃气泄漏 煤气罐 高空抛物 盗窃 诈骗电话 刷单 网络贷款 传销 监控 门禁 醉驾 打架 防汛 地震".split(), "dept": ["市公安局", "市应急管理局"],
        "items": ["噪音扰民", "电信诈骗报案", "消防隐患举报", "燃气安全检查", "无犯罪记录证明", "小区安防", "电动车充电隐患",
                  "安全生产举报", "防汛应急", "高空抛物", "群租房安全", "危险化学品举报"],
        "terms": ["电信网络诈骗", "消防安全", "安全隐患", "燃气安全", "无犯罪记录证明", "派出所", "应急预案", "安全生产",
                  "电动自行车", "高层建筑", "110", "119"],
        "who": ["小区居民", "商户", "被骗的市民", "物业公司", "企业负责人"],
        "policies": [("乌鲁木齐市消防安全责任制实施办法", "乌政办〔2021〕48号"),
                     ("乌鲁木齐市燃气管理条例", "乌政发〔2019〕12号"),
                     ("关于开展电动自行车安全隐患全链条整治行动的通知", "乌应急发〔2023〕16号")],
        "materials": ["身份证", "户口簿", "报案材料", "现场照片", "转账记录"],
    },
    {
        "name": "政务服务", "details": "营业执照 个体户 公司注册 经营范围 注销 变更 年报 刻章 发票 税务登记 银行开户 一件事 帮办 代办 预约 取号 排队 窗口态度 电子证照 证明材料 告知承诺 跨省通办 自助终端 办件进度 好差评".split(), "dept": ["市政务服务管理局", "市政务服务中心"],
        "items": ["营业执照办理", "一网通办", "政务服务中心办事时间", "证照电子化", "企业开办", "帮办代办", "跨省通办",
                  "办事预约", "政务服务评价", "容缺受理", "证明事项告知承诺", "12345热线投诉进度"],
        "terms": ["政务服务", "一网通办", "营业执照", "电子证照", "政务服务中心", "企业开办", "告知承诺制", "帮办代办",
                  "跨省通办", "12345政务服务便民热线", "窗口", "工作日"],
        "who": ["准备开店的市民", "企业经办人", "个体工商户", "外地企业", "办事群众"],
        "policies": [("乌鲁木齐市优化营商环境条例实施办法", "乌政发〔2021〕9号"),
                     ("关于全面推行证明事项告知承诺制的实施方案", "乌政办〔2021〕83号"),
                     ("乌鲁木齐市政务服务“一网通办”工作方案", "乌政办〔2022〕51号")],
        "materials": ["身份证", "营业执照", "委托书", "公司章程", "经营场所证明"],
    },
    {
        "name": "户籍居住证", "details": "户口 落户 迁出 迁入 投靠 夫妻投靠 父母投靠 子女投靠 人才引进 学历 集体户 身份证过期 临时身份证 异地换证 居住证签注 积分 流动人口 暂住 改名 民族成份 出生日期 户口本丢失 亲属关系证明 死亡注销 分户".split(), "dept": ["市公安局", "市公安局人口管理支队"],
        "items": ["居住证办理", "落户申请", "户口迁移", "身份证补办", "新生儿落户", "居住证签注", "人才落户", "户籍证明开具",
                  "投靠落户", "临时身份证", "集体户口", "居住登记"],
        "terms": ["居住证", "户籍", "落户", "户口簿", "身份证", "居住登记", "人才引进", "集体户口", "派出所", "户口迁移证",
                  "准迁证", "常住户口"],
        "who": ["外地来乌人员", "新生儿家长", "刚毕业的大学生", "投靠子女的老人", "引进人才"],
        "policies": [("乌鲁木齐市居住证管理实施细则", "乌政办〔2020〕58号"),
                     ("乌鲁木齐市户籍管理若干规定", "乌政发〔2021〕17号"),
                     ("关于进一步放宽落户条件的通知", "乌公发〔2022〕11号")],
        "materials": ["身份证", "户口簿", "居住证", "出生医学证明", "结婚证", "房产证明", "劳动合同"],
    },
    {
        "name": "卫生健康", "details": "疫苗 乙肝疫苗 流感疫苗 HPV 狂犬疫苗 接种门诊 儿保 体检中心 健康证 挂号 专家号 住院床位 陪护 医患纠纷 药品价格 红包 医德 120 急救车 献血 无偿献血 出生证 家庭医生 慢病管理 心理咨询".split(), "dept": ["市卫生健康委员会"],
        "items": ["疫苗接种预约", "家庭医生签约", "出生医学证明办理", "医疗纠纷投诉", "健康体检", "孕产妇保健", "职业病诊断",
                  "医院挂号", "120急救", "健康证办理", "计划免疫", "献血证明"],
        "terms": ["家庭医生", "疫苗接种", "出生医学证明", "社区卫生服务中心", "预防接种", "医疗机构", "健康证明", "医疗纠纷",
                  "基本公共卫生服务", "孕产妇", "二级以上医院", "急救"],
        "who": ["新生儿家长", "孕妇", "慢性病患者", "老年人", "餐饮从业人员"],
        "policies": [("乌鲁木齐市家庭医生签约服务实施方案", "乌卫健发〔2021〕27号"),
                     ("乌鲁木齐市医疗纠纷预防和处理办法", "乌政办〔2019〕66号"),
                     ("关于做好预防接种门诊规范化管理的通知", "乌卫健发〔2022〕14号")],
        "materials": ["身份证", "社会保障卡", "预防接种证", "母子健康手册", "诊疗记录"],
    },
    {
        "name": "社会救助", "details": "低保金 低保标准 入户调查 收入核对 存款 车辆 残疾证 护理补贴 生活补贴 特困供养 孤儿 事实无人抚养儿童 临时救助金 大病救助 取暖补贴 物价补贴 流浪人员 救助站 婚姻登记 离婚 结婚证补办 殡葬 骨灰 墓地 惠民殡葬".split(), "dept": ["市民政局", "区民政局"],
        "items": ["最低生活保障申请", "临时救助", "特困人员供养", "残疾人补贴", "低保复核", "困难群众取暖补贴",
                  "孤儿基本生活费", "医疗救助", "低保边缘家庭认定", "流浪乞讨人员救助", "残疾人证办理", "婚姻登记"],
        "terms": ["最低生活保障", "临时救助", "特困人员", "残疾人两项补贴", "低保", "医疗救助", "家庭经济状况核对",
                  "低保边缘家庭", "救助标准", "残疾人证", "婚姻登记", "社区居委会"],
        "who": ["困难家庭", "残疾人", "低保户", "孤寡老人", "失业的单亲妈妈"],
        "policies": [("乌鲁木齐市最低生活保障办法", "乌政发〔2020〕22号"),
                     ("乌鲁木齐市临时救助实施细则", "乌民发〔2021〕52号"),
                     ("关于调整城乡低保标准的通知", "乌民发〔2023〕8号")],
        "materials": ["身份证", "户口簿", "收入证明", "残疾人证", "诊断证明", "银行卡"],
    },
    {
        "name": "市政供暖供水", "details": "暖气 地暖 暖气片 阀门 跑水 漏水 水压 停水 水质发黄 水表 水费单 供暖费 报停 开栓 室温 测温 换热站 热力公司 下水道 井盖 路灯 垃圾桶 垃圾清运 道路坑洼 积雪清理".split(), "dept": ["市城市管理局", "市水务局"],
        "items": ["供暖不热", "暖气费缴纳", "停水通知", "供暖开栓", "自来水水质", "下水道堵塞", "路灯不亮", "垃圾清运",
                  "燃气开通", "供暖报停", "水费阶梯价格", "井盖缺失"],
        "terms": ["集中供暖", "供热企业", "供暖费", "采暖期", "室内温度", "自来水", "供水管网", "水费", "生活垃圾", "路灯",
                  "市政设施", "供热面积"],
        "who": ["小区居民", "业主", "商铺经营者", "物业公司", "老旧小区居民"],
        "policies": [("乌鲁木齐市城市供热管理办法", "乌政发〔2018〕33号"),
                     ("乌鲁木齐市城市供水管理条例实施细则", "乌水发〔2021〕10号"),
                     ("关于调整居民供热价格的通知", "乌发改价〔2022〕5号")],
        "materials": ["身份证", "供暖费发票", "房产证明", "缴费凭证"],
    },
    {
        "name": "生态环境", "details": "油烟 扬尘 渣土车 噪声 夜间施工 污水 臭味 垃圾焚烧 锅炉 燃煤 烟囱 空气质量 雾霾 PM2.5 排污口 河道 水源地 危废 医疗废物 垃圾分类 厨余垃圾 可回收物 环评 排污许可 环保督察".split(), "dept": ["市生态环境局"],
        "items": ["油烟扰民", "工地扬尘", "噪声污染投诉", "污水排放举报", "环评审批", "燃煤锅炉", "垃圾分类", "空气质量",
                  "排污许可", "危险废物处置", "河道污染", "夜间施工"],
        "terms": ["大气污染", "扬尘污染", "噪声污染", "环境影响评价", "排污许可证", "油烟净化设备", "垃圾分类",
                  "空气质量指数", "生态环境", "危险废物", "夜间施工许可", "环保督察"],
        "who": ["小区居民", "餐饮店老板", "企业环保负责人", "施工单位", "市民"],
        "policies": [("乌鲁木齐市大气污染防治条例实施办法", "乌政发〔2019〕38号"),
                     ("乌鲁木齐市生活垃圾分类管理办法", "乌政办〔2021〕29号"),
                     ("关于加强建筑施工扬尘污染防治的通知", "乌环发〔2022〕17号")],
        "materials": ["身份证", "营业执照", "环评报告", "现场照片"],
    },
]
DISTRICTS = ["天山区", "沙依巴克区", "新市区", "水磨沟区", "经开区（头屯河区）", "高新区（新市区）", "米东区", "达坂城区",
             "乌鲁木齐县"]
STREETS = ["红山街道", "和平路街道", "友好南路街道", "长江路街道", "北京路街道", "八一街道", "南湖南路街道", "卡子湾街道",
           "六道湾街道", "石人子沟街道", "青格达湖乡", "芦草沟乡", "古牧地镇", "安宁渠镇", "喀什东路街道", "延安路街道"]
CHANNELS = ["新疆政务服务网", "“乌鲁木齐政务服务”微信小程序", "国家医保服务平台APP", "掌上12333APP", "住房公积金网上服务大厅",
            "“新疆智慧人社”APP", "支付宝城市服务"]
COMMUNITY_NAMES = ("红山 幸福路 团结路 友好 南湖 北京路 长江路 黄河路 西虹 鲤鱼山 雅玛里克山 碾子沟 燕儿窝 七道湾 六道湾 三屯碑 "
                   "大湾 青年路 民主路 和平渠 胜利路 光明路 新华南路 建国路 解放北路 人民路 文化路 红旗路 东风路 西山 石油新村 "
                   "铁路局 机场 科学北路 苏州路 西八家户 宣仁墩 二工 三工 头宫 联丰 喀什东路 克拉玛依西街 天津南路 河南西路 北湖 "
                   "东湖 西湖 温泉 水磨沟 八钢 红雁池 大浦沟 卡子湾 骑马山 仓房沟 平顶山 南梁 老满城 新民路 阿勒泰路 昆明路").split()
COMMUNITIES = [f"{name}{suffix}" for name in COMMUNITY_NAMES for suffix in ("社区", "小区", "花园", "家园")]
RELATIVES = ["我爸", "我妈", "我爱人", "我家孩子", "我家老人", "我婆婆", "我岳父"]
FILLERS = ["", "", "", "你好，", "您好，", "请问一下，", "麻烦问一下，", "想咨询一下，"]
ENDINGS = ["？", "？", "？", "啊？", "呢？", "吗？"]

QUESTION_TEMPLATES = [
    "{f}{item}怎么办理{e}",
    "{f}{item}在哪里办{e}",
    "{f}{item}需要带什么材料{e}",
    "{f}我是{who}，{item}怎么弄{e}",
    "{f}{item}多长时间能办下来{e}",
    "{f}{item}可以在网上办{e}",
    "{f}{rel}的{item}怎么还没办好{e}",
    "{f}{item}有什么条件{e}",
    "{f}{term}和{term2}有什么区别{e}",
    "{f}我在{district}，{item}去哪个窗口{e}",
    "{f}{item}的标准是多少钱{e}",
    "{f}为什么我的{item}被退回来了{e}",
    "{f}外地户口能办{item}{e}",
    "{f}{who}能不能享受{term}{e}",
    "{f}{term}现在还能交{e}",
    "{f}{item}要本人去吗，能代办{e}",
    "{f}{community}{detail}的问题找谁{e}",
    "{f}{detail}的事归哪个部门管{e}",
    "{f}我们{community}{detail}好几天了没人管{e}",
    "{f}{detail}和{item}有关系{e}",
    "{f}{rel}说{detail}可以申请{item}，是真的{e}",
    "{f}{district}哪里能办{detail}相关的手续{e}",
]
OPENERS = ["您好！", "您好，感谢您的来电。", "您好，关于您咨询的{item}问题，现答复如下：", "您好，经与{dept}核实，现答复如下：",
           "您好，您反映的问题已转{dept}办理，答复如下："]
BODY_SENTENCES = [
    "根据《{policy}》（{docno}）规定，符合条件的{who}可按规定办理{item}。",
    "依据《{policy}》（{docno}），{term}由{dept}负责统一管理，各区（县）经办机构具体承办。",
    "办理{item}需提供{m1}、{m2}和{m3}等材料，材料齐全的当场受理。",
    "您可通过{channel}在线办理{item}，也可携带{m1}到{district}政务服务中心{dept}窗口现场办理。",
    "经办机构自受理之日起{days}个工作日内完成审核，审核通过后相关待遇按月发放至本人{m_bank}。",
    "{term}的具体标准以{dept}公布的最新文件为准，目前按{year}年度标准执行。",
    "针对您反映的{community}{detail}问题，{dept}已安排工作人员于{days}个工作日内上门核查处理。",
    "{street}已将{community}{detail}情况纳入督办台账，处理结果将通过12345热线向您反馈。",
    "关于{detail}，{who}可凭{m1}向所在社区居委会提出申请，社区初审后报{dept}审核。",
    "申请人应当如实申报{term}相关信息，逾期未办理的，将影响{term2}的正常享受。",
    "{district}{street}便民服务中心已开通{item}受理窗口，工作时间为工作日上午10:00至13:30、下午15:30至19:30。",
    "如您对{item}的办理结果有异议，可在收到告知书之日起{days}日内向{dept}申请复核。",
    "自{year}年起，我市将{term}与{term2}纳入“一网通办”，实现{item}“最多跑一次”。",
    "对{who}，{dept}实行容缺受理，{m2}可在{days}个工作日内补齐。",
    "{item}不收取任何费用，请勿相信代办中介，谨防电信网络诈骗。",
]
CLOSINGS = ["如有疑问，可咨询{dept}，咨询电话0991-{phone}。", "如需进一步了解，可拨打12345政务服务便民热线咨询。",
            "感谢您对我市{domain}工作的关注和支持！", "详细办事指南可登录{channel}查询。"]

# Words for the segmenter's user dictionary: the project would load the same kind of list.
USER_WORDS = sorted({
    "社会保险", "基本医疗保险", "住房公积金提取", "灵活就业人员", "失业保险金", "异地就医备案", "居住证", "医保电子凭证",
    "门诊慢特病", "城乡居民医保", "创业担保贷款", "就业创业证", "高龄津贴", "公共租赁住房", "保障性租赁住房", "一网通办",
    "告知承诺制", "最低生活保障", "低保边缘家庭", "随迁子女", "划片招生", "电信网络诈骗", "无犯罪记录证明", "住宅专项维修资金",
    "老年人优待证", "出生医学证明", "家庭医生", "网约车", "扬尘污染", "排污许可证", "集中供暖", "供暖费", "缴存基数",
    "市人社局", "市医保局", "市住房公积金管理中心", "市教育局", "市民政局", "市交通运输局", "市市场监督管理局", "市公安局",
    "市应急管理局", "市政务服务管理局", "市卫生健康委员会", "市城市管理局", "市水务局", "市生态环境局",
    "市住房和城乡建设局", "市就业服务中心", "市社会保险管理局", "市医疗保障服务中心", "12345政务服务便民热线",
})
# add_word check: a sentence per word; both segmenters must split it the same before and after add_word.
ADD_WORD_CASES = [
    ("异地就医备案", "退休后去外地住，异地就医备案怎么弄？"),
    ("住房公积金提取", "租房的话住房公积金提取要什么材料？"),
    ("灵活就业人员", "灵活就业人员可以自己交医保吗？"),
    ("市人社局", "这个事情是归市人社局管吗？"),
    ("市住房公积金管理中心", "市住房公积金管理中心几点下班？"),
    ("门诊慢特病", "门诊慢特病的报销比例是多少？"),
    ("低保边缘家庭", "低保边缘家庭认定需要多久？"),
    ("医保电子凭证", "医保电子凭证在哪里激活？"),
]


def zipf_cum(n, s):
    weights = [1 / (rank ** s) for rank in range(1, n + 1)]
    return list(itertools.accumulate(weights))


DOMAIN_CUM = zipf_cum(len(DOMAINS), 0.8)
for _d in DOMAINS:
    _d["item_cum"] = zipf_cum(len(_d["items"]), 1.1)
    _d["term_cum"] = zipf_cum(len(_d["terms"]), 1.0)


def pick(rng, seq, cum=None):
    if cum is None:
        return seq[int(rng.random() * len(seq))]
    return seq[bisect.bisect(cum, rng.random() * cum[-1])]


def make_entry(rng):
    """One (question, answer): question 10–30 characters, answer 80–300."""
    domain = pick(rng, DOMAINS, DOMAIN_CUM)

    def slots():
        term = pick(rng, domain["terms"], domain["term_cum"])
        term2 = pick(rng, domain["terms"], domain["term_cum"])
        if term2 == term:
            term2 = pick(rng, domain["terms"])
        m1, m2, m3 = rng.sample(domain["materials"], 3) if len(domain["materials"]) >= 3 else (*domain["materials"], "")[:3]
        policy, docno = pick(rng, domain["policies"])
        return {"domain": domain["name"], "item": pick(rng, domain["items"], domain["item_cum"]), "term": term,
                "term2": term2, "who": pick(rng, domain["who"]), "dept": pick(rng, domain["dept"]), "policy": policy,
                "docno": docno, "m1": m1, "m2": m2, "m3": m3, "m_bank": "社会保障卡" if rng.random() < 0.5 else "银行账户",
                "channel": pick(rng, CHANNELS), "district": pick(rng, DISTRICTS), "street": pick(rng, STREETS),
                "days": rng.choice((3, 5, 7, 10, 15, 20, 30)),
                "year": rng.randrange(2019, 2025), "phone": f"{rng.randrange(2300000, 8999999)}",
                "rel": pick(rng, RELATIVES), "detail": pick(rng, domain["details"]), "community": pick(rng, COMMUNITIES), "f": pick(rng, FILLERS), "e": pick(rng, ENDINGS)}

    s = slots()
    question = ""
    for _ in range(20):
        question = pick(rng, QUESTION_TEMPLATES).format(**s)
        if 10 <= len(question) <= 30:
            break
        s = slots()
    else:
        question = (question + "怎么办理？咨询一下")[:30]

    target = rng.randint(80, 300)
    parts = [pick(rng, OPENERS).format(**s)]
    body = rng.sample(BODY_SENTENCES, len(BODY_SENTENCES))
    closing = pick(rng, CLOSINGS).format(**s)
    length = len(parts[0]) + len(closing)
    for template in body:
        if length >= target:
            break
        sentence = template.format(**s)
        if length + len(sentence) > 300:
            continue
        parts.append(sentence)
        length += len(sentence)
        if rng.random() < 0.3:  # the next sentence about another item or term of the same domain
            s = {**s, "item": pick(rng, domain["items"], domain["item_cum"]),
                 "term": pick(rng, domain["terms"], domain["term_cum"])}
    answer = "".join(parts) + closing
    while len(answer) < 80:
        answer = answer + "特此答复。如有其他问题，欢迎再次致电12345政务服务便民热线。"
    return question, answer[:300]


def generate(seed, start, stop):
    """Entries [start, stop), the same whatever the range: block b of BLOCK entries is its own random stream."""
    out = []
    for block in range(start // BLOCK, (stop - 1) // BLOCK + 1 if stop > start else start // BLOCK):
        rng = random.Random(f"{seed}:{block}")
        first = block * BLOCK
        for i in range(first, min(first + BLOCK, stop)):
            entry = make_entry(rng)
            if i >= start:
                out.append(entry)
    return out


# --- helpers -------------------------------------------------------------------------------------------


def progress(message):
    sys.stderr.write(f"[bench] {message}\n")
    sys.stderr.flush()


def proc_status():
    """VmRSS, VmHWM, RssAnon, RssFile of this process in MiB."""
    out = {}
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                out[key] = int(value.split()[0]) / 1024
    return out


def reset_high_water_mark():
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered), max(1, int(round(fraction * len(ordered) + 0.5)))) - 1]


def width(text):
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(text))


def pad(text, size, right=False):
    gap = " " * max(0, size - width(text))
    return gap + str(text) if right else str(text) + gap


def table(header, rows, right_from=1):
    sizes = [max(width(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = []
    for n, row in enumerate([header, *rows]):
        lines.append("  ".join(pad(cell, sizes[i], right=i >= right_from) for i, cell in enumerate(row)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * s for s in sizes))
    return "\n".join(lines)


WORD_PARTS = re.compile(r"[^\W_]+")


def index_tokens(tokens):
    """What both engines index: word tokens only, lower-cased; punctuation tokens dropped and a token with
    punctuation inside split at it (rjieba keeps 0991-7330383 as one token, jieba gives 0991 / - / 7330383).
    Python's idea of a word character and unicode61's token characters agree on this corpus (checked: both
    engines count the same matches for every query)."""
    out = []
    for t in tokens:
        if t.isalnum():
            out.append(t.lower())
        else:
            out.extend(p.lower() for p in WORD_PARTS.findall(t))
    return out


# --- 1. segmenter ----------------------------------------------------------------------------------------


COLD_SNIPPETS = {
    "jieba (cache in /tmp)": (
        "import time; t0 = time.perf_counter(); import jieba; jieba.setLogLevel(60); t1 = time.perf_counter(); "
        "jieba.initialize(); list(jieba.cut('社保怎么交')); t2 = time.perf_counter()"),
    "jieba (no cache: first start)": (
        "import tempfile, time; d = tempfile.mkdtemp(); t0 = time.perf_counter(); import jieba; jieba.setLogLevel(60); "
        "t1 = time.perf_counter(); jieba.dt.tmp_dir = d; jieba.initialize(); list(jieba.cut('社保怎么交')); "
        "t2 = time.perf_counter()"),
    "rjieba": (
        "import time; t0 = time.perf_counter(); import rjieba; t1 = time.perf_counter(); rjieba.cut('社保怎么交'); "
        "t2 = time.perf_counter()"),
    "python (nothing)": "import time; t0 = t1 = t2 = time.perf_counter()",
}
COLD_TAIL = ("\nrss = [int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmRSS')][0]\n"
             "import json; print(json.dumps({'import_s': t1 - t0, 'init_s': t2 - t1, 'total_s': t2 - t0, 'rss_mb': rss / 1024}))")


def cold_start(runs):
    out = {}
    for key, code in COLD_SNIPPETS.items():
        samples = []
        for _ in range(runs):
            proc = subprocess.run([sys.executable, "-c", code + COLD_TAIL], capture_output=True, text=True, check=True)
            samples.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        out[key] = {k: statistics.median(s[k] for s in samples) for k in samples[0]}
        out[key]["runs"] = runs
    bare = out["python (nothing)"]["rss_mb"]
    for value in out.values():
        value["rss_delta_mb"] = value["rss_mb"] - bare
    return out


def first_difference(text, a, b):
    k = next(i for i, (x, y) in enumerate(zip(a + [None], b + [None], strict=False)) if x != y)
    return {"text": text[:40], "jieba": a[max(0, k - 2):k + 4], "rjieba": b[max(0, k - 2):k + 4]}


def identical_share(texts, jieba_fn, rjieba_fn):
    """Share of texts segmented token for token the same, and the same after index_tokens() (what is indexed)."""
    same, same_index, diffs, index_diffs, kinds = 0, 0, [], [], Counter()
    for text in texts:
        a, b = list(jieba_fn(text)), rjieba_fn(text)
        if a == b:
            same += 1
            same_index += 1
            continue
        # what differs, digits folded: e.g. "9999-9999999" (rjieba) vs "9999 / - / 9999999" (jieba)
        ca, cb = Counter(a), Counter(b)
        kind = (" / ".join(sorted(re.sub(r"\d", "9", t) for t in (ca - cb).elements())),
                " / ".join(sorted(re.sub(r"\d", "9", t) for t in (cb - ca).elements())))
        kinds[kind] += 1
        if len(diffs) < 3:
            diffs.append(first_difference(text, a, b))
        ia, ib = index_tokens(a), index_tokens(b)
        if ia == ib:
            same_index += 1
        elif len(index_diffs) < 3:
            index_diffs.append(first_difference(text, ia, ib))
    return {"texts": len(texts), "identical": same, "share": same / len(texts),
            "index_identical": same_index, "index_share": same_index / len(texts),
            "differences": [{"jieba": k[0], "rjieba": k[1], "texts": n} for k, n in kinds.most_common(5)],
            "examples": diffs, "index_examples": index_diffs}


def segmenter_benchmark(args):
    import jieba
    import rjieba

    jieba.setLogLevel(60)
    jieba.initialize()
    texts = [f"{q}\n{a}" for q, a in generate(args.seed, 0, args.seg_entries)]
    chars = sum(len(t) for t in texts)
    progress(f"分词 segmenter: {len(texts):,} entries, {chars:,} characters")
    result = {"entries": len(texts), "characters": chars,
              "versions": {"jieba": importlib.metadata.version("jieba"), "rjieba": importlib.metadata.version("rjieba")}}
    result["identical_default_dict"] = {
        "cut": identical_share(texts, jieba.cut, rjieba.cut),
        "cut_for_search": identical_share(texts, jieba.cut_for_search, rjieba.cut_for_search),
    }
    cases = []
    for word, sentence in ADD_WORD_CASES:
        before = (jieba.lcut(sentence), rjieba.cut(sentence))
        jieba.add_word(word)
        rjieba.add_word(word, None, None)
        after = (jieba.lcut(sentence), rjieba.cut(sentence))
        search_after = (jieba.lcut_for_search(sentence), rjieba.cut_for_search(sentence))
        cases.append({"word": word, "sentence": sentence, "jieba_before": before[0], "rjieba_before": before[1],
                      "jieba_after": after[0], "rjieba_after": after[1],
                      "same_before": before[0] == before[1], "same_after": after[0] == after[1],
                      "same_search_after": search_after[0] == search_after[1],
                      "whole_before": [word in before[0], word in before[1]], "whole_after": [word in after[0], word in after[1]]})
    result["add_word"] = cases
    t0 = time.perf_counter()
    for word in USER_WORDS:
        jieba.add_word(word)
    t1 = time.perf_counter()
    for word in USER_WORDS:
        rjieba.add_word(word, None, None)
    t2 = time.perf_counter()
    result["user_dict"] = {"words": len(USER_WORDS), "jieba_s": t1 - t0, "rjieba_s": t2 - t1}
    result["identical_user_dict"] = {
        "cut": identical_share(texts, jieba.cut, rjieba.cut),
        "cut_for_search": identical_share(texts, jieba.cut_for_search, rjieba.cut_for_search),
    }
    functions = {"jieba.cut": jieba.cut, "rjieba.cut": rjieba.cut,
                 "jieba.cut_for_search": jieba.cut_for_search, "rjieba.cut_for_search": rjieba.cut_for_search}
    samples = {name: [] for name in functions}
    gc.disable()
    try:
        for run in range(args.seg_runs):
            names = list(functions)
            names = names[run % len(names):] + names[:run % len(names)]  # round-robin, a different one first
            for name in names:
                fn = functions[name]
                t = time.perf_counter()
                for text in texts:
                    list(fn(text))
                samples[name].append(time.perf_counter() - t)
    finally:
        gc.enable()
    result["speed"] = {name: {"median_s": statistics.median(s), "chars_per_s": chars / statistics.median(s),
                              "samples_s": s} for name, s in samples.items()}
    progress("分词 segmenter: cold import / initialisation in fresh interpreters …")
    result["cold_start"] = cold_start(args.cold_runs)
    return result


# --- 2. why not unicode61 on raw text, why not trigram -------------------------------------------------------


def tokenizer_check():
    import rjieba

    sentence = "我是灵活就业人员，想问一下社保怎么交？"
    con = sqlite3.connect(":memory:")
    con.execute("CREATE VIRTUAL TABLE raw USING fts5(body, tokenize='unicode61')")
    con.execute("CREATE VIRTUAL TABLE raw_vocab USING fts5vocab(raw, 'row')")
    con.execute("CREATE VIRTUAL TABLE tri USING fts5(body, tokenize='trigram')")
    con.execute("CREATE VIRTUAL TABLE seg USING fts5(body, tokenize='unicode61')")
    con.execute("INSERT INTO raw VALUES (?)", (sentence,))
    con.execute("INSERT INTO tri VALUES (?)", (sentence,))
    con.execute("INSERT INTO seg VALUES (?)", (" ".join(index_tokens(rjieba.cut_for_search(sentence))),))

    def count(sql, *params):
        return con.execute(sql, params).fetchone()[0]

    checks = [
        ("unicode61, raw text", "tokens", " | ".join(r[0] for r in con.execute("SELECT term FROM raw_vocab ORDER BY term"))),
        ("unicode61, raw text", "MATCH '社保'", count("SELECT count(*) FROM raw WHERE raw MATCH ?", "社保")),
        ("unicode61, raw text", "MATCH '灵活就业人员'", count("SELECT count(*) FROM raw WHERE raw MATCH ?", "灵活就业人员")),
        ("unicode61, raw text", "MATCH '我是灵活就业人员'", count("SELECT count(*) FROM raw WHERE raw MATCH ?", "我是灵活就业人员")),
        ("trigram", "MATCH '社保'", count("SELECT count(*) FROM tri WHERE tri MATCH ?", "社保")),
        ("trigram", "MATCH '社保怎'", count("SELECT count(*) FROM tri WHERE tri MATCH ?", "社保怎")),
        ("trigram", "MATCH '灵活就业'", count("SELECT count(*) FROM tri WHERE tri MATCH ?", "灵活就业")),
        ("trigram", "LIKE '%社保%'", count("SELECT count(*) FROM tri WHERE body LIKE ?", "%社保%")),
        ("unicode61, pre-segmented (rjieba)", "MATCH '社保'", count("SELECT count(*) FROM seg WHERE seg MATCH ?", "社保")),
        ("unicode61, pre-segmented (rjieba)", "MATCH '就业 AND 社保'",
         count("SELECT count(*) FROM seg WHERE seg MATCH ?", "就业 AND 社保")),
    ]
    return {"sentence": sentence, "sqlite": sqlite3.sqlite_version,
            "checks": [{"table": a, "query": b, "result": c} for a, b, c in checks]}


# --- 3. corpus ------------------------------------------------------------------------------------------------


def _init_segment_worker():
    import rjieba

    for word in USER_WORDS:
        rjieba.add_word(word, None, None)


def segment_task(seed, start, stop, sample_ids):
    import rjieba

    lines, df, chars, tokens, sampled = [], Counter(), 0, 0, {}
    for i, (question, answer) in enumerate(generate(seed, start, stop), start):
        text = f"{question}\n{answer}"
        chars += len(text)
        words = index_tokens(rjieba.cut_for_search(text))
        tokens += len(words)
        df.update(set(words))
        lines.append(" ".join(words))
        if i in sample_ids:  # query terms come from the entry's words as written (accurate mode, no search-mode n-grams)
            sampled[i] = sorted(set(index_tokens(rjieba.cut(text))))
    return "\n".join(lines) + "\n", df, chars, tokens, sampled


def build_corpus(args, sizes, path):
    """Segments entries [0, max(sizes)) into PATH, one line per entry (line i = entry i, rowid/id i + 1)."""
    top = max(sizes)
    samplers = {}
    for size in sizes:
        rng = random.Random(f"{args.seed}:sample:{size}")
        samplers[size] = rng.sample(range(size), min(size, args.queries * 40))
    wanted = set().union(*samplers.values())
    bounds = sorted({*range(0, top, TASK), *sizes, top})
    tasks = [(a, b, {i for i in wanted if a <= i < b}) for a, b in itertools.pairwise(bounds)]
    df, chars, tokens, sampled, snapshots = Counter(), 0, 0, {}, {}
    t0 = time.perf_counter()
    with open(path, "w", encoding="utf-8") as out, \
            ProcessPoolExecutor(max_workers=args.workers, initializer=_init_segment_worker) as pool:
        futures = [pool.submit(segment_task, args.seed, a, b, ids) for a, b, ids in tasks]
        for (_, stop, _), future in zip(tasks, futures, strict=True):
            text, part_df, part_chars, part_tokens, part_sampled = future.result()
            out.write(text)
            df.update(part_df)
            chars += part_chars
            tokens += part_tokens
            sampled.update(part_sampled)
            if stop in sizes:
                snapshots[stop] = {"df": Counter(df), "characters": chars, "tokens": tokens}
            if stop % 100_000 == 0 or stop == top:
                elapsed = time.perf_counter() - t0
                progress(f"语料 corpus: {stop:,}/{top:,} entries generated and segmented · {elapsed:.0f} s · "
                         f"{stop / elapsed:,.0f} entries/s")
    seconds = time.perf_counter() - t0
    return snapshots, {size: {i: sampled[i] for i in ids} for size, ids in samplers.items()}, seconds


def make_queries(args, size, df, sample_docs, is_word):
    """--queries of each type, terms taken from sampled entries by document frequency (so each matches)."""
    def frac(term):
        return df[term] / size

    def eligible(term):
        return len(term) >= 2 and not term.isdigit() and is_word(term)

    bands = {
        "rare": lambda t: args.rare_min <= frac(t) <= args.rare_max,
        "common": lambda t: frac(t) >= args.common_min,
        "medium": lambda t: args.medium_min <= frac(t) <= args.medium_max,
    }
    need = {"and2_rare": ("rare", 2), "common1": ("common", 1), "or3": ("medium", 3), "msm4": ("medium", 4)}
    rng = random.Random(f"{args.seed}:queries:{size}")
    docs = [sample_docs[i] for i in sorted(sample_docs)]
    rng.shuffle(docs)
    queries = {key: [] for key in need}
    for key, (band, n) in need.items():
        seen = set()
        for words in docs:
            candidates = [w for w in words if eligible(w) and bands[band](w)]
            if len(candidates) < n:
                continue
            terms = tuple(sorted(rng.sample(candidates, n)))
            if terms in seen and len(seen) < len(docs) // 2:
                continue
            seen.add(terms)
            queries[key].append(list(terms))
            if len(queries[key]) == args.queries:
                break
    vocabulary = [t for t in df if eligible(t)]
    band_sizes = {band: sum(1 for t in vocabulary if test(t)) for band, test in bands.items()}
    return queries, band_sizes


# --- 4. engines (each run in a child process: --worker SPEC) --------------------------------------------------------


def read_corpus(path, size, batch=10_000):
    rows = []
    with open(path, encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if i >= size:
                break
            rows.append((i + 1, line.rstrip("\n")))
            if len(rows) == batch:
                yield rows
                rows = []
    if rows:
        yield rows


def fts5_match(key, terms):
    quoted = [f'"{t}"' for t in terms]
    if key == "and2_rare":
        return " AND ".join(quoted)
    if key == "msm4":  # at least two of four = the OR of all AND pairs
        return " OR ".join(f"({a} AND {b})" for a, b in itertools.combinations(quoted, 2))
    return " OR ".join(quoted)


class Fts5:
    name = "fts5"

    def __init__(self, spec):
        self.path = Path(spec["index_dir"]) / "qa.sqlite3"
        self.mmap = spec["sqlite_mmap"]

    def build(self, batches):
        con = sqlite3.connect(self.path)
        con.execute("PRAGMA journal_mode = OFF")
        con.execute("PRAGMA synchronous = OFF")
        con.execute("CREATE VIRTUAL TABLE qa USING fts5(body, tokenize = 'unicode61')")
        engine_s = 0.0
        for rows in batches:
            t = time.perf_counter()
            con.executemany("INSERT INTO qa(rowid, body) VALUES (?, ?)", rows)
            engine_s += time.perf_counter() - t
        t = time.perf_counter()
        con.commit()
        commit_s = time.perf_counter() - t
        t = time.perf_counter()
        con.execute("INSERT INTO qa(qa) VALUES ('optimize')")
        con.commit()
        optimize_s = time.perf_counter() - t
        con.close()
        return {"insert_s": engine_s + commit_s, "optimize_s": optimize_s, "engine_s": engine_s + commit_s + optimize_s}

    def disk(self):
        con = sqlite3.connect(self.path)
        page = con.execute("PRAGMA page_size").fetchone()[0]
        used = (con.execute("PRAGMA page_count").fetchone()[0] - con.execute("PRAGMA freelist_count").fetchone()[0]) * page
        parts = dict(con.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall())
        con.close()
        return {"file_bytes": self.path.stat().st_size, "used_bytes": used,
                "content_bytes": parts.get("qa_content", 0),
                "index_bytes": sum(v for k, v in parts.items() if k != "qa_content")}

    def open(self):
        self.con = sqlite3.connect(self.path)
        self.con.execute(f"PRAGMA mmap_size = {self.mmap}")

    def search(self, key, terms):
        return [r[0] for r in self.con.execute("SELECT rowid FROM qa WHERE qa MATCH ? ORDER BY rank LIMIT 10",
                                               (fts5_match(key, terms),))]

    def count(self, key, terms):
        return self.con.execute("SELECT count(*) FROM qa WHERE qa MATCH ?", (fts5_match(key, terms),)).fetchone()[0]


class Tantivy:
    name = "tantivy"

    def __init__(self, spec):
        import tantivy

        self.tantivy = tantivy
        self.path = Path(spec["index_dir"]) / "tantivy"
        self.heap = spec["tantivy_heap"]
        self.threads = spec["tantivy_threads"]
        self.schema = (tantivy.SchemaBuilder()
                       .add_unsigned_field("id", stored=True, indexed=True)
                       .add_text_field("body", stored=False, tokenizer_name="ws_lower")
                       .build())

    def analyzer(self):
        t = self.tantivy
        return t.TextAnalyzerBuilder(t.Tokenizer.whitespace()).filter(t.Filter.lowercase()).build()

    def build(self, batches):
        t = self.tantivy
        self.path.mkdir(parents=True, exist_ok=True)
        index = t.Index(self.schema, path=str(self.path), reuse=False)
        index.register_tokenizer("ws_lower", self.analyzer())
        writer = index.writer(heap_size=self.heap, num_threads=self.threads)
        engine_s = 0.0
        for rows in batches:
            s = time.perf_counter()
            for rowid, body in rows:
                doc = t.Document()
                doc.add_unsigned("id", rowid)
                doc.add_text("body", body)
                writer.add_document(doc)
            engine_s += time.perf_counter() - s
        s = time.perf_counter()
        writer.commit()
        commit_s = time.perf_counter() - s
        s = time.perf_counter()
        writer.wait_merging_threads()
        merge_s = time.perf_counter() - s
        return {"insert_s": engine_s + commit_s, "optimize_s": merge_s, "engine_s": engine_s + commit_s + merge_s}

    def disk(self):
        files = [p for p in self.path.rglob("*") if p.is_file()]
        meta = json.loads((self.path / "meta.json").read_text())
        return {"file_bytes": sum(p.stat().st_size for p in files), "files": len(files), "segments": len(meta["segments"])}

    def open(self):
        t = self.tantivy
        self.index = t.Index.open(str(self.path))
        self.index.register_tokenizer("ws_lower", self.analyzer())
        self.index.reload()
        self.searcher = self.index.searcher()

    def query(self, key, terms):
        t = self.tantivy
        subs = [t.Query.term_query(self.schema, "body", term) for term in terms]
        if key == "common1":
            return subs[0]
        if key == "and2_rare":
            return t.Query.boolean_query([(t.Occur.Must, q) for q in subs])
        if key == "msm4":
            return t.Query.boolean_query([(t.Occur.Should, q) for q in subs], minimum_number_should_match=2)
        return t.Query.boolean_query([(t.Occur.Should, q) for q in subs])

    def search(self, key, terms):
        hits = self.searcher.search(self.query(key, terms), 10, count=False).hits
        return [self.searcher.doc(address)["id"][0] for _score, address in hits]

    def count(self, key, terms):
        return self.searcher.search(self.query(key, terms), 1, count=True).count


def worker_main(spec_path):
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    engine = {"fts5": Fts5, "tantivy": Tantivy}[spec["engine"]](spec)
    size, label = spec["size"], f"{spec['engine']} {spec['size']:,}"
    out = {"rss_start": proc_status()}
    step = max(1, size // 10)

    def batches():
        done, t0 = 0, time.perf_counter()
        for rows in read_corpus(spec["corpus"], size):
            yield rows
            before, done = done, done + len(rows)
            if done // step != before // step or done == size:
                progress(f"  {label}: {done:,}/{size:,} docs added · {time.perf_counter() - t0:.0f} s")

    t = time.perf_counter()
    out["build"] = engine.build(batches())
    out["build"]["wall_s"] = time.perf_counter() - t
    out["rss_after_build"] = proc_status()  # VmHWM here = peak during the build
    out["disk"] = engine.disk()
    if spec["queries"]:
        gc.collect()
        out["hwm_reset"] = reset_high_water_mark()
        before = proc_status()
        t = time.perf_counter()
        engine.open()
        out["open_s"] = time.perf_counter() - t
        work = [(key, n, terms) for key, items in spec["queries"].items() for n, terms in enumerate(items)]
        samples = {(key, n): [] for key, n, _ in work}
        last = {}
        rng = random.Random(spec["seed"])
        for _ in range(spec["warmup"]):
            for key, _n, terms in work:
                engine.search(key, terms)
        gc.disable()
        for r in range(spec["rounds"]):
            rng.shuffle(work)
            for key, n, terms in work:
                s = time.perf_counter_ns()
                last[(key, n)] = engine.search(key, terms)
                samples[(key, n)].append(time.perf_counter_ns() - s)
            progress(f"  {label}: query round {r + 1}/{spec['rounds']} done")
        gc.enable()
        latency = {}
        for key, items in spec["queries"].items():
            per_query = [statistics.median(samples[(key, n)]) / 1e6 for n in range(len(items))]
            latency[key] = {"queries": len(items), "p50_ms": percentile(per_query, 0.5),
                            "p95_ms": percentile(per_query, 0.95), "max_ms": max(per_query),
                            "per_query_median_ms": per_query}
        out["latency"] = latency
        out["check"] = {key: [{"count": engine.count(key, terms), "top10": last[(key, n)]} for n, terms in enumerate(items)]
                        for key, items in spec["queries"].items()}
        out["rss_queries_before_open"] = before
        out["rss_after_queries"] = proc_status()  # VmHWM here = peak while opening + querying
    Path(spec["result"]).write_text(json.dumps(out), encoding="utf-8")


def run_engine(args, engine, size, corpus, workdir, queries, with_queries):
    index_dir = Path(workdir) / f"{engine}-{size}"
    shutil.rmtree(index_dir, ignore_errors=True)
    index_dir.mkdir(parents=True)
    spec = {"engine": engine, "size": size, "corpus": str(corpus), "index_dir": str(index_dir), "seed": args.seed,
            "queries": queries if with_queries else None, "rounds": args.rounds, "warmup": args.warmup,
            "sqlite_mmap": args.sqlite_mmap, "tantivy_heap": args.tantivy_heap, "tantivy_threads": args.tantivy_threads,
            "result": str(Path(workdir) / f"result-{engine}-{size}.json")}
    spec_path = Path(workdir) / f"spec-{engine}-{size}.json"
    spec_path.write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    subprocess.run([sys.executable, __file__, "--worker", str(spec_path)], check=True)
    result = json.loads(Path(spec["result"]).read_text(encoding="utf-8"))
    shutil.rmtree(index_dir, ignore_errors=True)
    return result


def engines_for_size(args, size, corpus, workdir, queries):
    runs = args.build_runs if size < args.large else 1
    raw = {"fts5": [], "tantivy": []}
    for r in range(runs):
        for engine in (("fts5", "tantivy") if r % 2 == 0 else ("tantivy", "fts5")):
            progress(f"引擎 engine {engine} at {size:,} entries, build {r + 1}/{runs}"
                     f"{' + queries' if r == runs - 1 else ''} …")
            raw[engine].append(run_engine(args, engine, size, corpus, workdir, queries, with_queries=r == runs - 1))
    out = {}
    for engine, results in raw.items():
        last = results[-1]
        out[engine] = {
            "build_runs": runs,
            "build_s": statistics.median(x["build"]["engine_s"] for x in results),
            "build_wall_s": statistics.median(x["build"]["wall_s"] for x in results),
            "insert_s": statistics.median(x["build"]["insert_s"] for x in results),
            "optimize_s": statistics.median(x["build"]["optimize_s"] for x in results),
            "build_samples_s": [x["build"]["engine_s"] for x in results],
            "build_peak_rss_mb": statistics.median(x["rss_after_build"]["VmHWM"] for x in results),
            "rss_start_mb": last["rss_start"]["VmRSS"],
            "disk": last["disk"],
            "open_s": last["open_s"],
            "query_rss": last["rss_after_queries"],
            "query_rss_before_open_mb": last["rss_queries_before_open"]["VmRSS"],
            "hwm_reset": last["hwm_reset"],
            "latency": last["latency"],
            "check": last["check"],
        }
    agree, overlap = {}, {}
    for key in queries:
        a, b = out["fts5"]["check"][key], out["tantivy"]["check"][key]
        agree[key] = sum(1 for x, y in zip(a, b, strict=True) if x["count"] == y["count"])
        overlap[key] = statistics.mean(len(set(x["top10"]) & set(y["top10"])) / max(1, min(10, x["count"]))
                                       for x, y in zip(a, b, strict=True)) if a else 0
        hits = [x["count"] for x in a]
        out.setdefault("matches", {})[key] = {"median": statistics.median(hits) if hits else 0,
                                              "min": min(hits, default=0), "max": max(hits, default=0)}
    out["counts_agree"] = agree
    out["top10_overlap"] = overlap
    for engine in ("fts5", "tantivy"):
        out[engine].pop("check")
    return out


# --- report ------------------------------------------------------------------------------------------------------


def mb(n):
    return f"{n / 2**20:,.0f} MiB"


def print_report(result):
    env = result["environment"]
    print()
    print("嵌入式检索选型基准 · embedded engines benchmark")
    print(f"  {env['cpu']} ×{env['cores']} · {env['memory_gib']:.0f} GiB · Python {env['python']} · SQLite {env['sqlite']} · "
          f"tantivy-py {env['tantivy']} · jieba {env['jieba']} · rjieba {env['rjieba']} · git {result['git']['commit'][:10]}"
          f"{' (dirty)' if result['git']['dirty'] else ''}")
    print(f"  load average at start {env['loadavg_at_start'][0]:.2f}, at end {result['loadavg_at_end'][0]:.2f} · seed {result['seed']} · "
          f"total {result['total_s']:.0f} s (" + ", ".join(f"{k.removesuffix('_s')} {v:.0f} s" for k, v in result["phases"].items())
          + ")")
    seg = result["segmenter"]
    if seg:
        print()
        print(f"1. 分词 segmenter — {seg['entries']:,} entries, {seg['characters']:,} characters, median of {len(seg['speed']['jieba.cut']['samples_s'])} runs")
        rows = []
        for mode in ("cut", "cut_for_search"):
            j, r = seg["speed"][f"jieba.{mode}"], seg["speed"][f"rjieba.{mode}"]
            same_d, same_u = seg["identical_default_dict"][mode], seg["identical_user_dict"][mode]
            rows.append([mode, f"{j['chars_per_s'] / 1e6:.2f} M", f"{r['chars_per_s'] / 1e6:.2f} M",
                         f"{r['chars_per_s'] / j['chars_per_s']:.1f}×",
                         f"{same_d['share'] * 100:.2f} % / {same_d['index_share'] * 100:.2f} %",
                         f"{same_u['share'] * 100:.2f} % / {same_u['index_share'] * 100:.2f} %"])
        print(table(["mode", "jieba chars/s", "rjieba chars/s", "rjieba/jieba", "identical: tokens / indexed (default dict)",
                     "identical: tokens / indexed (+user dict)"], rows))
        print("  identical = share of entries whose token lists are equal; indexed = equal after index_tokens() "
              "(punctuation dropped, split at it, lower-cased)")
        for mode in ("cut", "cut_for_search"):
            for kind in ("identical_default_dict", "identical_user_dict"):
                for d in seg[kind][mode]["differences"]:
                    print(f"  differs ({mode}, {kind.removeprefix('identical_')}): jieba {d['jieba']!r} ↔ rjieba {d['rjieba']!r} "
                          f"in {d['texts']} entries")
                for ex in seg[kind][mode]["index_examples"]:
                    print(f"  !! indexed tokens differ ({mode}): {ex['text']!r}: jieba {ex['jieba']} rjieba {ex['rjieba']}")
        print()
        rows = []
        for c in seg["add_word"]:
            rows.append([c["word"], "yes" if c["same_before"] else "NO", "/".join("whole" if w else "split" for w in c["whole_before"]),
                         "yes" if c["same_after"] else "NO", "/".join("whole" if w else "split" for w in c["whole_after"]),
                         "yes" if c["same_search_after"] else "NO"])
        print(table(["add_word", "same before", "jieba/rjieba before", "same after", "jieba/rjieba after", "search mode same"],
                    rows, right_from=9))
        u = seg["user_dict"]
        print(f"  user dictionary: {u['words']} words, add_word jieba {u['jieba_s'] * 1e3:.1f} ms, rjieba {u['rjieba_s'] * 1e3:.1f} ms")
        print()
        rows = [[k, f"{v['import_s'] * 1e3:.0f} ms", f"{v['init_s'] * 1e3:.0f} ms", f"{v['total_s'] * 1e3:.0f} ms",
                 f"{v['rss_mb']:.0f} MiB", f"{v['rss_delta_mb']:+.0f} MiB"] for k, v in seg["cold_start"].items()]
        print(table([f"cold start (median of {seg['cold_start']['rjieba']['runs']})", "import", "init + first cut", "total",
                     "RSS", "RSS over bare python"], rows))
    demo = result["tokenizer_check"]
    print()
    print(f"2. 分词器检查 tokenizer check — {demo['sentence']} (SQLite {demo['sqlite']})")
    print(table(["FTS5 table", "query", "rows / tokens"], [[c["table"], c["query"], str(c["result"])] for c in demo["checks"]],
                right_from=9))
    corpus = result["corpus"]
    print()
    print(f"3. 语料 corpus — generated and segmented in {corpus['seconds']:.0f} s ({result['workers']} processes, "
          f"rjieba.cut_for_search + {len(USER_WORDS)} user words)")
    for size, c in result["sizes"].items():
        info = c["corpus"]
        print(f"  {int(size):,} entries: {info['characters']:,} characters, {info['tokens']:,} tokens, "
              f"{info['vocabulary']:,} distinct tokens; {mb(info['bytes'])} of space-joined text; "
              f"query terms by document frequency: rare {info['bands']['rare']} words, medium {info['bands']['medium']}, "
              f"common {info['bands']['common']}")
        for key, items in c["queries"].items():
            example = " | ".join(" ".join(q) for q in items[:2])
            print(f"    {key}: {len(items)} queries, matches median {c['engines']['matches'][key]['median']:,.0f} "
                  f"(min {c['engines']['matches'][key]['min']:,}, max {c['engines']['matches'][key]['max']:,}), e.g. {example}")
    print()
    print(f"4. 引擎 engines — latency per query = median of {result['rounds']} rounds (after {result['warmup']} warm-up), "
          f"then p50 / p95 over the queries; top 10 by BM25, ids fetched")
    for size, c in result["sizes"].items():
        e = c["engines"]
        print()
        print(f"  {int(size):,} entries")
        rows = []
        for engine in ("fts5", "tantivy"):
            x = e[engine]
            size_note = (f"{mb(x['disk']['file_bytes'])} (index {mb(x['disk']['index_bytes'])} + text {mb(x['disk']['content_bytes'])})"
                         if engine == "fts5" else f"{mb(x['disk']['file_bytes'])} ({x['disk']['segments']} segments)")
            rows.append([engine, f"{x['build_s']:.1f} s" + (f" (of it merge {x['optimize_s']:.1f} s)"),
                         size_note, f"{x['build_peak_rss_mb']:.0f} MiB",
                         f"{x['query_rss']['VmRSS']:.0f} MiB (anon {x['query_rss']['RssAnon']:.0f}, file {x['query_rss']['RssFile']:.0f})",
                         f"{x['query_rss']['VmHWM']:.0f} MiB" if x["hwm_reset"] else "—"])
        print(table(["engine", f"build (median of {e['fts5']['build_runs']})", "size on disk", "RSS peak, build",
                     "RSS after queries", "RSS peak, queries"], rows))
        rows = []
        for key, label in QUERY_TYPES.items():
            f, t = e["fts5"]["latency"][key], e["tantivy"]["latency"][key]
            rows.append([label, str(f["queries"]), f"{f['p50_ms']:.2f}", f"{f['p95_ms']:.2f}", f"{t['p50_ms']:.2f}",
                         f"{t['p95_ms']:.2f}", f"{f['p50_ms'] / t['p50_ms']:.0f}×" if t["p50_ms"] else "—",
                         f"{e['counts_agree'][key]}/{f['queries']}", f"{e['top10_overlap'][key] * 100:.0f} %"])
        print(table(["query type", "n", "FTS5 p50 ms", "FTS5 p95 ms", "tantivy p50 ms", "tantivy p95 ms", "FTS5/tantivy p50",
                     "counts agree", "top-10 overlap"], rows))


def compare_with_baseline(result, baseline_path):
    base = json.loads(Path(baseline_path).read_text(encoding="utf-8"))
    print()
    print(f"与基线对比 · compared with baseline {baseline_path}")
    print(f"  baseline: {base['timestamp']} · git {base['git']['commit'][:10]} · {base['environment']['cpu']} ×{base['environment']['cores']}"
          f" · load {base['environment']['loadavg_at_start'][0]:.2f}")
    print(f"  this run: {result['timestamp']} · git {result['git']['commit'][:10]} · {result['environment']['cpu']} ×"
          f"{result['environment']['cores']} · load {result['environment']['loadavg_at_start'][0]:.2f}")
    if base["seed"] != result["seed"]:
        print("  !! different --seed: different corpus and queries")
    if (base["environment"]["cpu"], base["environment"]["cores"]) != (result["environment"]["cpu"], result["environment"]["cores"]):
        print("  !! different machine")
    rows = []

    def row(label, before, now, fmt, lower_is_better=True):
        if before is None or now is None:
            rows.append([label, "—" if before is None else fmt(before), "—" if now is None else fmt(now), "—"])
            return
        change = f"{(now - before) / before * 100:+.1f} %" if before else "—"
        rows.append([label, fmt(before), fmt(now), change])

    def get(data, *keys):
        for k in keys:
            if not isinstance(data, dict) or k not in data:
                return None
            data = data[k]
        return data

    for name in ("jieba.cut", "rjieba.cut", "jieba.cut_for_search", "rjieba.cut_for_search"):
        row(f"{name} chars/s", get(base, "segmenter", "speed", name, "chars_per_s"),
            get(result, "segmenter", "speed", name, "chars_per_s"), lambda v: f"{v / 1e6:.2f} M")
    for name in ("jieba (cache in /tmp)", "rjieba"):
        row(f"cold start {name}", get(base, "segmenter", "cold_start", name, "total_s"),
            get(result, "segmenter", "cold_start", name, "total_s"), lambda v: f"{v * 1e3:.0f} ms")
    for size in sorted(set(base["sizes"]) | set(result["sizes"]), key=int):
        for engine in ("fts5", "tantivy"):
            b, n = get(base, "sizes", size, "engines", engine), get(result, "sizes", size, "engines", engine)
            tag = f"{int(size):,} {engine}"
            row(f"{tag} build", get(b, "build_s"), get(n, "build_s"), lambda v: f"{v:.1f} s")
            row(f"{tag} size", get(b, "disk", "file_bytes"), get(n, "disk", "file_bytes"), mb)
            row(f"{tag} RSS after queries", get(b, "query_rss", "VmRSS"), get(n, "query_rss", "VmRSS"), lambda v: f"{v:.0f} MiB")
            for key in QUERY_TYPES:
                for p in ("p50_ms", "p95_ms"):
                    row(f"{tag} {key} {p[:3]}", get(b, "latency", key, p), get(n, "latency", key, p), lambda v: f"{v:.2f} ms")
        for key in QUERY_TYPES:
            ratios = []
            for data in (base, result):
                f = get(data, "sizes", size, "engines", "fts5", "latency", key, "p50_ms")
                t = get(data, "sizes", size, "engines", "tantivy", "latency", key, "p50_ms")
                ratios.append(f / t if f is not None and t else None)
            row(f"{int(size):,} FTS5/tantivy {key} p50", *ratios, lambda v: f"{v:.0f}×")
    print(table(["metric", "baseline", "now", "change"], rows))
    print("  Absolute times move 20 % or more with the load of this shared machine; compare FTS5/tantivy within a run.")


# --- main ----------------------------------------------------------------------------------------------------


def git_state():
    def run(*cmd):
        try:
            return subprocess.run(["git", *cmd], cwd=REPO, capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    return {"commit": run("rev-parse", "HEAD") or "unknown", "dirty": bool(run("status", "--porcelain"))}


def environment():
    import tantivy

    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo", encoding="ascii") as fh:
        mem_kib = int(fh.readline().split()[1])
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": mem_kib / 2**20, "kernel": platform.release(),
            "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
            "tantivy": getattr(tantivy, "__version__", importlib.metadata.version("tantivy")),
            "jieba": importlib.metadata.version("jieba"), "rjieba": importlib.metadata.version("rjieba"),
            "loadavg_at_start": list(os.getloadavg())}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,1000000", help="corpus sizes, comma-separated (default 100000,1000000)")
    parser.add_argument("--queries", type=int, default=50, help="queries of each type (default 50)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds over all queries (default 3)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed rounds before (default 1)")
    parser.add_argument("--build-runs", type=int, default=3, help="index builds per engine below --large (default 3)")
    parser.add_argument("--large", type=int, default=1_000_000, help="from this size on, build once (default 1000000)")
    parser.add_argument("--seg-entries", type=int, default=2000, help="entries for the segmenter timing (default 2000)")
    parser.add_argument("--seg-runs", type=int, default=5)
    parser.add_argument("--cold-runs", type=int, default=5)
    parser.add_argument("--skip-segmenter", action="store_true", help="only the engines")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1), help="processes segmenting the corpus")
    parser.add_argument("--rare-min", type=float, default=0.0001, help="rare: document frequency ≥ this share (0.01 %%)")
    parser.add_argument("--rare-max", type=float, default=0.003, help="rare: ≤ this share (0.3 %%)")
    parser.add_argument("--medium-min", type=float, default=0.01)
    parser.add_argument("--medium-max", type=float, default=0.10)
    parser.add_argument("--common-min", type=float, default=0.20, help="very common: in ≥ 20 %% of entries")
    parser.add_argument("--sqlite-mmap", type=int, default=2**31 - 2**16, help="PRAGMA mmap_size for queries (default ~2 GiB)")
    parser.add_argument("--tantivy-heap", type=int, default=128_000_000, help="IndexWriter heap (default 128 MB)")
    parser.add_argument("--tantivy-threads", type=int, default=0, help="IndexWriter threads (0 = tantivy's choice)")
    parser.add_argument("--workdir", help="where corpus and indexes go (default: a temporary directory, deleted)")
    parser.add_argument("--baseline", metavar="FILE", help="an earlier results JSON to compare with, side by side")
    parser.add_argument("--output", metavar="FILE")
    parser.add_argument("--no-save", action="store_true")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return args
    try:
        args.size_list = sorted({int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()})
    except ValueError:
        parser.error("--sizes: integers, e.g. 100000,1000000")
    if not args.size_list or min(args.size_list) < 1000:
        parser.error("--sizes: at least 1000 entries each")
    if args.queries < 1 or args.rounds < 1 or args.warmup < 0 or args.build_runs < 1:
        parser.error("--queries, --rounds, --build-runs ≥ 1; --warmup ≥ 0")
    if args.baseline and not Path(args.baseline).is_file():
        parser.error(f"no such baseline file: {args.baseline}")
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.worker:
        worker_main(args.worker)
        return 0
    started = time.perf_counter()
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    env = environment()
    result = {"benchmark": "embedded_engines", "format": FORMAT_VERSION,
              "timestamp": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
              "git": git_state(), "environment": env, "seed": args.seed, "rounds": args.rounds, "warmup": args.warmup,
              "workers": args.workers, "settings": {k: v for k, v in vars(args).items() if k not in ("worker", "baseline")}}
    t = time.perf_counter()
    result["segmenter"] = None if args.skip_segmenter else segmenter_benchmark(args)
    phases = {"segmenter_s": time.perf_counter() - t}
    result["tokenizer_check"] = tokenizer_check()

    import jieba

    jieba.setLogLevel(60)
    for word in USER_WORDS:
        jieba.add_word(word)

    def is_word(term):  # a dictionary word, not an HMM-joined fragment such as 办首
        return jieba.dt.FREQ.get(term, 0) > 0 or not all("\u4e00" <= ch <= "\u9fff" for ch in term)

    tmp = tempfile.mkdtemp(prefix="embedded_engines-", dir=args.workdir)
    try:
        corpus = Path(tmp) / "corpus.txt"
        snapshots, samples, seconds = build_corpus(args, args.size_list, corpus)
        phases["corpus_s"] = seconds
        result["corpus"] = {"seconds": seconds, "segmenter": "rjieba.cut_for_search", "user_words": len(USER_WORDS)}
        result["sizes"] = {}
        offsets = 0
        with open(corpus, "rb") as fh:
            sizes_bytes = {}
            for i, line in enumerate(fh, 1):
                offsets += len(line)
                if i in args.size_list:
                    sizes_bytes[i] = offsets
        for size in args.size_list:
            snap = snapshots[size]
            queries, bands = make_queries(args, size, snap["df"], samples[size], is_word)
            missing = [k for k, v in queries.items() if len(v) < args.queries]
            if missing:
                progress(f"!! fewer than {args.queries} queries for {missing}: widen the bands (--rare-min …)")
            info = {"characters": snap["characters"], "tokens": snap["tokens"], "vocabulary": len(snap["df"]),
                    "bytes": sizes_bytes[size], "bands": bands}
            t = time.perf_counter()
            engines = engines_for_size(args, size, corpus, tmp, queries)
            phases[f"engines_{size}_s"] = time.perf_counter() - t
            result["sizes"][str(size)] = {"corpus": info, "queries": queries, "engines": engines}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    result["loadavg_at_end"] = list(os.getloadavg())
    result["total_s"] = time.perf_counter() - started
    result["phases"] = phases
    print_report(result)
    if args.baseline:
        compare_with_baseline(result, args.baseline)
    if not args.no_save:
        path = Path(args.output) if args.output else RESULTS_DIR / f"embedded_engines-{stamp}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"\n结果 results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

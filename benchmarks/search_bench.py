#!/usr/bin/env python
"""热线政策问答检索基准 · Hotline Q&A search benchmark (issue #4): relevance, latency, indexing.

One run builds a throwaway database and index, fills them with a realistic Q&A base and measures
what the issue asks for. Run from the repository root:

    .venv/bin/python benchmarks/search_bench.py                    # 100,000 entries, SQLite (~4 min)
    .venv/bin/python benchmarks/search_bench.py --entries 10000    # quick run (~1 min)
    .venv/bin/python benchmarks/search_bench.py --database-url postgres://postgres@127.0.0.1:5432/bench_search
    .venv/bin/python benchmarks/search_bench.py --baseline benchmarks/results/search_bench-<timestamp>.json

Steps:

1. 环境 set-up — a new database (SQLite in a temporary directory, or PostgreSQL database NAME created
   and dropped like page_render.py does) and a new SEARCH_EMBEDDED_DIR in the temporary directory.
   Settings are cms.settings.test plus a small settings module written into the temporary directory
   (embedded backend, production reload interval, a task backend that only records, the API rate
   limit raised for the HTTP stage); the HTTP server process uses the same module.
2. 语料 corpus — the site tree (tests.conftest.build_site_tree, cms.roles.ensure_all_roles), ten
   departments, ~200 policy documents with 文号 (the 23 hand-written ones of
   benchmarks/data/gold_policies.jsonl plus generated ones; some 已废止 or 已修改 through the real
   立改废 relations), --entries generated Q&A entries (deterministic from --seed) with the 58
   hand-written entries of benchmarks/data/qa_gold.jsonl mixed in, bulk-inserted live with topics,
   and the synonyms list benchmarks/data/synonyms.txt loaded with `manage.py import_synonyms`.
3. 相关性 relevance — the labeled queries of benchmarks/data/queries.jsonl through
   search.service.hotline_search (the product path: analysis, backend, default filters that hide
   已废止): Recall@5 and MRR@10, for the embedded backend, for Elasticsearch when ELASTICSEARCH_URL
   is set (and search/backends/elasticsearch.py exists), and for the two naive baselines. Queries
   carry a set: ``dev`` and ``dev2`` were used to tune the vocabulary, ``holdout`` never was; each
   set is reported on its own.
4. 延迟 latency — a mixed workload (the labeled queries plus generated single-term, two-term,
   three-term colloquial and 文号 queries): hotline_search(log=False) in process, round-robin over
   --rounds rounds; GET /api/qa/search over HTTP against a real gunicorn process on 127.0.0.1; the
   same queries with Django ORM icontains (the query's required words OR-ed over question,
   答复口径 and answer: the total count and the first 10, the same answer as the API's total and
   page) and with Wagtail's database search backend (seconds per query at 100k, so
   one pass over --wagtail-queries of them), as ratios.
5. 索引 indexing — search.indexing.rebuild_index (full rebuild, timed) and one entry's update: edit
   and publish one QAEntry, then search.outbox.process_outbox() (median of --update-runs), checked
   by finding the edit.
6. 结果 output — a table with the goals and 达标/未达标, JSON in benchmarks/results/, and with
   --baseline FILE a side-by-side comparison.

Exit status 0 whatever the figures are, unless --check is given (then 1 when a goal is missed).
"""
import argparse
import contextlib
import datetime
import hashlib
import http.client
import io
import json
import os
import platform
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO / "benchmarks"
DATA_DIR = BENCH_DIR / "data"
RESULTS_DIR = BENCH_DIR / "results"
sys.path.insert(0, str(BENCH_DIR))

from page_render import (  # noqa: E402  (shared helpers of the benchmarks)
    check_sqlite_url,
    create_postgres_database,
    drop_postgres_database,
    git_state,
    is_postgres,
    percentile,
    table,
)

FORMAT_VERSION = 1
GENERATOR_VERSION = 1   # bump when the generated corpus changes (it is part of the fingerprint)
GOALS = {"recall_at_5": 0.9, "p95_ms": 20.0, "icontains_ratio": 50.0}
GOAL_ENTRIES = 100_000  # the latency goal is stated at this size
SETTINGS_MODULE = "bench_search_settings"
UPDATE_MARK = "benchupd"
SET_LABELS = {"dev": "调优集 dev", "holdout": "留出集 held-out"}

# --- departments and what their callers ask about ------------------------------------------------
# code, full name, short name, phone, share of the entries, 文号 prefixes, the app or site callers use,
# where they go, who asks, the service matters (事项, most asked first) with their topic, specific
# circumstances callers add, materials.
DEPARTMENTS = [
    {
        "code": "rsj", "name": "乌鲁木齐市人力资源和社会保障局", "short": "市人社局", "phone": "0991-12333",
        "weight": 20, "prefixes": ["乌人社发", "乌人社规", "乌政办"], "app": "“新疆智慧人社”APP",
        "places": ["区（县）社会保险经办机构", "街道（乡镇）社保所", "市人社局政务服务窗口", "区（县）公共就业服务机构"],
        "who": ["企业职工", "灵活就业人员", "退休人员", "外地来乌务工人员", "高校毕业生", "失业人员", "农民工", "退役军人",
                "个体工商户", "用人单位经办人"],
        "items": [("失业登记", "就业"), ("就业登记", "就业"), ("失业保险金申领", "失业保险"),
                  ("灵活就业人员参保登记", "养老保险"), ("养老保险关系转移", "养老保险"), ("退休审批", "退休"),
                  ("养老金资格认证", "养老保险"), ("社保缴费基数申报", "社会保险"), ("社保卡申领", "社保卡"),
                  ("社保卡密码重置", "社保卡"), ("工伤认定", "工伤保险"), ("劳动能力鉴定", "工伤保险"),
                  ("职业技能培训补贴申领", "职业培训"), ("职业技能等级认定", "职业培训"), ("一次性创业补贴申领", "就业创业"),
                  ("创业担保贷款申请", "就业创业"), ("高校毕业生就业见习", "就业"), ("劳动人事争议仲裁", "劳动保障"),
                  ("稳岗返还", "失业保险"), ("丧葬补助金领取", "养老保险"), ("城乡居民养老保险参保", "养老保险"),
                  ("养老保险补缴", "养老保险"), ("社保缴费记录查询", "社会保险"), ("人事档案转递", "人事档案")],
        "details": ["断缴三个月后", "跨省转入后", "单位未按时缴费的", "档案材料不全的", "中途换了单位的", "达到退休年龄前",
                    "在外地参保过的", "之前办过一次的", "已经领取过补贴的", "劳动合同到期后"],
        "materials": ["身份证", "社会保障卡", "户口簿", "银行卡", "劳动合同", "解除劳动合同证明", "一寸照片", "人事档案"],
    },
    {
        "code": "ybj", "name": "乌鲁木齐市医疗保障局", "short": "市医保局", "phone": "0991-4617890",
        "weight": 16, "prefixes": ["乌医保发", "乌医保规"], "app": "“新疆医保”小程序",
        "places": ["医保经办服务窗口", "区（县）医疗保障服务中心", "定点医疗机构医保办", "街道便民服务站"],
        "who": ["退休人员", "在外地工作的职工", "城乡居民", "新生儿家长", "慢性病患者", "灵活就业人员", "在校学生",
                "异地安置人员", "低保对象"],
        "items": [("职工医保参保登记", "医疗保险"), ("城乡居民医保参保", "城乡居民医保"), ("医保关系转移接续", "医疗保险"),
                  ("异地就医备案", "异地就医"), ("医疗费用手工报销", "医疗保险"), ("门诊慢特病认定", "门诊慢特病"),
                  ("生育津贴申领", "生育保险"), ("生育医疗费用报销", "生育保险"), ("医保电子凭证激活", "医疗保险"),
                  ("大病保险报销", "医疗保险"), ("门诊统筹报销", "医疗保险"), ("长期护理保险申请", "长期护理保险"),
                  ("医疗救助申请", "医疗救助"), ("医保定点药店查询", "医疗保险"), ("职工医保缴费年限核定", "医疗保险"),
                  ("灵活就业人员医保缴费", "医疗保险"), ("医保参保证明打印", "医疗保险"), ("两病门诊用药保障", "门诊慢特病")],
        "details": ["住院超过一个月的", "在私立医院看病的", "用了自费药的", "转诊到外地的", "中途停保的", "刚换了工作的",
                    "办理过备案又回来的", "急诊抢救的", "发票丢失的", "年度限额用完后"],
        "materials": ["身份证", "医保电子凭证", "社会保障卡", "诊断证明", "住院病历", "医疗费用发票", "费用明细清单",
                      "出生医学证明"],
    },
    {
        "code": "gjj", "name": "乌鲁木齐住房公积金管理中心", "short": "市住房公积金管理中心", "phone": "0991-12329",
        "weight": 12, "prefixes": ["乌房金管委", "乌公积金发"], "app": "“乌鲁木齐公积金”APP",
        "places": ["住房公积金管理中心各管理部", "公积金中心服务大厅", "承办银行网点"],
        "who": ["缴存职工", "退休职工", "外地户籍职工", "新就业职工", "灵活就业人员", "单位经办人", "购房职工"],
        "items": [("住房公积金开户", "住房公积金"), ("购房提取住房公积金", "住房公积金"), ("偿还贷款提取住房公积金", "住房公积金"),
                  ("退休提取住房公积金", "住房公积金"), ("住房公积金个人住房贷款申请", "公积金贷款"),
                  ("公积金贷款提前还款", "公积金贷款"), ("商业贷款转公积金贷款", "公积金贷款"), ("缴存基数调整", "住房公积金"),
                  ("住房公积金缴存证明打印", "住房公积金"), ("装修提取住房公积金", "住房公积金"), ("大病提取住房公积金", "住房公积金"),
                  ("公积金贷款展期", "公积金贷款"), ("异地贷款缴存证明开具", "公积金贷款"), ("账户封存与启封", "住房公积金"),
                  ("单位缓缴住房公积金", "住房公积金")],
        "details": ["夫妻双方都缴存的", "买二手房的", "贷款还清后", "单位欠缴的", "账户被冻结的", "刚交满半年的", "有商业贷款的",
                    "在外地买房的"],
        "materials": ["身份证", "本人银行卡", "购房合同", "不动产权证书", "结婚证", "借款合同", "还款明细"],
    },
    {
        "code": "jyj", "name": "乌鲁木齐市教育局", "short": "市教育局", "phone": "0991-4556677",
        "weight": 9, "prefixes": ["乌教发", "乌教规"], "app": "“乌鲁木齐市义务教育招生入学服务平台”",
        "places": ["区（县）教育局", "学校教务处", "区（县）学生资助管理中心", "市教育局政务服务窗口"],
        "who": ["适龄儿童家长", "随迁子女家长", "在校学生", "教师", "民办学校举办者", "高三考生"],
        "items": [("初中入学报名", "招生入学"), ("转学手续办理", "学籍管理"), ("学籍证明开具", "学籍管理"),
                  ("教师资格认定", "教师管理"), ("普通话水平测试报名", "教师管理"), ("中考报名", "招生考试"),
                  ("高考报名", "招生考试"), ("学前教育资助申请", "学生资助"), ("义务教育寄宿生生活补助", "学生资助"),
                  ("普通高中国家助学金", "学生资助"), ("校外培训机构办学许可", "校外培训"), ("民办学校设立审批", "民办教育"),
                  ("学历证明补办", "学籍管理"), ("特殊教育入学评估", "特殊教育"), ("幼儿园入园登记", "学前教育"),
                  ("课后服务收费", "义务教育")],
        "details": ["户籍不在学区的", "从外省转来的", "学籍信息有误的", "错过报名时间的", "毕业证丢失的", "有两个孩子的",
                    "租房居住的"],
        "materials": ["户口簿", "身份证", "房产证明", "居住证", "学生学籍卡", "预防接种证", "录取通知书"],
    },
    {
        "code": "mzj", "name": "乌鲁木齐市民政局", "short": "市民政局", "phone": "0991-4818123",
        "weight": 9, "prefixes": ["乌民发", "乌民规"], "app": "“新疆民政一网通办”平台",
        "places": ["户籍所在地街道（乡镇）", "社区居委会", "区（县）民政局", "婚姻登记处"],
        "who": ["老年人", "低保家庭", "残疾人", "困难群众", "新人", "社会组织负责人", "孤儿监护人"],
        "items": [("特困人员救助供养", "社会救助"), ("临时救助申请", "社会救助"), ("离婚登记", "婚姻登记"),
                  ("婚姻登记档案查询", "婚姻登记"), ("养老机构入住", "养老服务"), ("殡葬补贴申领", "殡葬服务"),
                  ("社会组织登记", "社会组织"), ("慈善组织认定", "社会组织"), ("孤儿基本生活费申领", "儿童福利"),
                  ("事实无人抚养儿童认定", "儿童福利"), ("困境儿童保障", "儿童福利"), ("地名命名", "区划地名"),
                  ("老年人能力评估", "养老服务"), ("低保年审", "社会救助"), ("低保金发放查询", "社会救助")],
        "details": ["家里有重病人的", "户籍刚迁入的", "子女在外地的", "收入有变化的", "独居的", "曾被取消资格的"],
        "materials": ["身份证", "户口簿", "残疾人证", "收入证明", "家庭经济状况核对授权书", "结婚证", "照片"],
    },
    {
        "code": "wjw", "name": "乌鲁木齐市卫生健康委员会", "short": "市卫健委", "phone": "0991-4611120",
        "weight": 8, "prefixes": ["乌卫健发", "乌卫健规"], "app": "“新疆政务服务”APP",
        "places": ["社区卫生服务中心", "区（县）卫生健康委", "助产医疗机构", "市卫健委政务服务窗口"],
        "who": ["新生儿父母", "孕妇", "医务人员", "老年人", "医疗机构负责人", "托育机构举办者"],
        "items": [("医师执业注册", "医政管理"), ("护士执业注册", "医政管理"), ("医疗机构执业登记", "医政管理"),
                  ("预防接种证补办", "疾病预防"), ("孕产妇健康管理", "妇幼健康"), ("职业病诊断", "职业健康"),
                  ("献血者用血费用报销", "无偿献血"), ("120急救费用咨询", "医疗服务"), ("家庭医生签约", "基层卫生"),
                  ("两癌筛查", "妇幼健康"), ("托育机构备案", "托育服务"), ("公共场所卫生许可", "卫生监督"),
                  ("婚前医学检查", "妇幼健康"), ("病历复印", "医疗服务")],
        "details": ["在外地医院生产的", "执业地点变更的", "超过有效期的", "外地户籍的", "第一次办理的", "材料被退回的"],
        "materials": ["身份证", "户口簿", "执业证书", "体检证明", "母子健康手册", "预防接种证", "申请表"],
    },
    {
        "code": "jtj", "name": "乌鲁木齐市交通运输局", "short": "市交通运输局", "phone": "0991-12328",
        "weight": 6, "prefixes": ["乌交发", "乌交规"], "app": "“乌鲁木齐交通”微信公众号",
        "places": ["公交IC卡服务网点", "市交通运输局政务服务窗口", "道路运输服务窗口"],
        "who": ["老年人", "学生", "出租车司机", "网约车司机", "货车司机", "乘客", "运输企业"],
        "items": [("公交IC卡充值", "公共交通"), ("网约车运输证办理", "网约车"), ("道路运输经营许可", "道路运输"),
                  ("机动车维修经营备案", "道路运输"), ("驾校培训投诉", "驾驶培训"), ("公交线路调整建议", "公共交通"),
                  ("客运班线查询", "道路运输"), ("货车通行证办理", "道路运输"), ("共享单车停放管理", "城市交通"),
                  ("公交失物招领", "公共交通"), ("出租汽车驾驶员从业资格证办理", "出租汽车")],
        "details": ["卡片消磁的", "车辆过户后", "超过有效期的", "外地车辆", "夜间运营的", "更换车辆的"],
        "materials": ["身份证", "驾驶证", "行驶证", "一寸照片", "车辆保险单", "申请表"],
    },
    {
        "code": "zjj", "name": "乌鲁木齐市住房和城乡建设局", "short": "市住建局", "phone": "0991-4660033",
        "weight": 8, "prefixes": ["乌建发", "乌建规"], "app": "“乌鲁木齐住建”微信公众号",
        "places": ["区（县）住房和城乡建设局", "市住建局政务服务窗口", "街道（社区）"],
        "who": ["中低收入家庭", "新就业无房职工", "业主", "购房人", "开发企业", "施工企业", "业主委员会"],
        "items": [("保障性租赁住房申请", "住房保障"), ("住房租赁合同备案", "房屋租赁"), ("商品房买卖合同备案", "房地产市场"),
                  ("存量房交易资金监管", "房地产市场"), ("维修资金退还", "维修资金"), ("既有住宅加装电梯补贴", "城市更新"),
                  ("建筑工程施工许可", "建筑市场"), ("建筑业企业资质申请", "建筑市场"), ("二级建造师注册", "建筑市场"),
                  ("房屋安全鉴定", "房屋安全"), ("城镇燃气经营许可", "燃气管理"), ("商品房预售许可查询", "房地产市场"),
                  ("人才住房补贴申请", "住房保障"), ("棚户区改造安置", "城市更新")],
        "details": ["房子还没过户的", "开发商已注销的", "共有产权的", "楼龄超过二十年的", "业主意见不统一的", "合同未网签的"],
        "materials": ["身份证", "不动产权证书", "购房合同", "业主表决结果", "申请表", "营业执照"],
    },
    {
        "code": "scjgj", "name": "乌鲁木齐市市场监督管理局", "short": "市市场监管局", "phone": "0991-12315",
        "weight": 7, "prefixes": ["乌市监发", "乌市监规"], "app": "“新疆经营主体登记服务平台”",
        "places": ["区（县）政务服务中心市场监管窗口", "市场监督管理所", "市市场监管局登记注册窗口"],
        "who": ["个体经营者", "企业负责人", "消费者", "餐饮店主", "网店经营者", "食品生产企业"],
        "items": [("公司设立登记", "经营主体登记"), ("企业变更登记", "经营主体登记"), ("个体工商户注销", "经营主体登记"),
                  ("食品经营许可", "食品安全"), ("小餐饮登记", "食品安全"), ("价格违法举报", "价格监管"),
                  ("计量器具检定", "计量管理"), ("特种设备使用登记", "特种设备"), ("商标注册指导", "知识产权"),
                  ("营业执照遗失补领", "经营主体登记"), ("企业年报公示", "信用监管"), ("经营异常名录移出", "信用监管"),
                  ("广告违法举报", "广告监管")],
        "details": ["经营场所是租的", "法定代表人在外地的", "逾期未年报的", "名称有重复的", "有分支机构的", "网上申请被驳回的"],
        "materials": ["身份证", "营业执照", "经营场所证明", "公司章程", "申请书", "购物凭证"],
    },
    {
        "code": "zwfw", "name": "乌鲁木齐市政务服务管理局", "short": "市政务服务管理局", "phone": "0991-12345",
        "weight": 5, "prefixes": ["乌政服发", "乌政办发"], "app": "“新疆政务服务”APP",
        "places": ["市政务服务中心", "区（县）政务服务中心", "街道便民服务中心"],
        "who": ["办事群众", "企业经办人", "老年人", "外地群众", "残疾人"],
        "items": [("政务服务中心预约办理", "政务服务"), ("帮办代办服务", "政务服务"), ("证照电子化", "一网通办"),
                  ("工程建设项目审批", "营商环境"), ("电子证照调用", "一网通办"), ("12345热线工单查询", "政务服务"),
                  ("政务服务自助终端使用", "政务服务"), ("高效办成一件事", "一网通办"), ("政务服务事项清单查询", "政务服务")],
        "details": ["没有智能手机的", "行动不便的", "第一次来办事的", "材料在外地的", "要加急的"],
        "materials": ["身份证", "营业执照", "授权委托书", "申请表"],
    },
]
DISTRICTS = ["天山区", "沙依巴克区", "新市区", "水磨沟区", "头屯河区", "达坂城区", "米东区", "乌鲁木齐县", "高新区", "经开区"]

QUESTION_TEMPLATES = [
    "{who}办理{item}需要什么材料？", "{item}需要带哪些材料？", "{who}{item}在哪里办理？", "{district}{item}去哪个窗口办？",
    "{item}多长时间能办好？", "{who}申请{item}要符合什么条件？", "{item}可以网上办理吗？", "{item}的办理进度怎么查询？",
    "{who}办理{item}要收费吗？", "{item}可以委托别人代办吗？", "{detail}{item}被退回了怎么办？", "{who}{item}需要本人到场吗？",
    "{district}的{who}{item}有什么规定？", "{detail}{item}的标准是多少？", "{item}的办理流程是什么？",
    "{who}在{district}{item}，材料不齐怎么办？", "外地户籍的{who}能在本市{item}吗？", "{detail}{item}审核不通过可以复核吗？",
    "{item}每年什么时候办理？", "{detail}{who}{item}以后多久办结？", "{detail}{item}还能办理吗？",
]
ALT_TEMPLATES = ["{item}咋办", "{who}{item}要啥手续", "办{item}去哪", "{item}怎么弄", "{item}要多久",
                 "{detail}{item}怎么处理", "{district}能办{item}吗"]
CONDITIONS = [
    "申请人应当符合国家和自治区规定的条件，如实提供本人有关情况",
    "本市户籍或持有本市居住证的人员均可申请，外地户籍人员按规定提供相应证明",
    "按照规定需要实地核查的，经办机构在受理后安排工作人员上门核实",
    "材料齐全、符合法定形式的当场受理；材料不齐全的，窗口一次性告知需要补正的全部内容",
    "对审核结果有异议的，可以在收到结果之日起十五个工作日内申请复核",
]
POLICY_TITLE_TEMPLATES = ["乌鲁木齐市{item}管理办法", "关于进一步做好{item}工作的通知", "乌鲁木齐市{item}实施细则",
                          "关于优化{item}服务的若干措施", "乌鲁木齐市{item}工作规程"]


# --- the generated corpus ----------------------------------------------------------------------------------


def zipf_weights(n, s=0.8):
    return [1 / (k ** s) for k in range(1, n + 1)]


def _fmt(template, **values):
    return template.format(**values).replace("在本市本市", "在本市")


def generate_policies(rng, total, gold_numbers):
    """~``total`` policies including the gold ones: titles per department, unique 文号, some 已废止/已修改."""
    weights = [d["weight"] for d in DEPARTMENTS]
    used = set(gold_numbers)
    policies = []
    for n in range(max(0, total)):
        dept = rng.choices(DEPARTMENTS, weights)[0]
        item, topic = rng.choice(dept["items"])
        for _ in range(100):
            number = f"{rng.choice(dept['prefixes'])}〔{rng.randint(2014, 2025)}〕{rng.randint(1, 199)}号"
            if number not in used:
                break
        used.add(number)
        year = int(number.split("〔")[1][:4])
        published = datetime.date(year, rng.randint(1, 12), rng.randint(1, 28))
        title = rng.choice(POLICY_TITLE_TEMPLATES).format(item=item)
        policies.append({
            "doc_number": number, "title": title, "department": dept["code"], "publish_date": published.isoformat(),
            "issuing_authority": dept["name"] if not number.startswith("乌政") else "乌鲁木齐市人民政府办公厅",
            "summary": f"明确{item}的适用范围、申请条件、办理程序和监督管理，方便群众和企业办事。", "topics": [topic],
            "repeals": "", "amends": "", "generated": n,
        })
    # 立改废: a later policy of the same department repeals (15 %) or amends (10 %) an earlier one.
    by_dept = {}
    for p in sorted(policies, key=lambda p: p["publish_date"]):
        by_dept.setdefault(p["department"], []).append(p)
    for group in by_dept.values():
        targets = set()
        for i in range(1, len(group)):
            draw = rng.random()
            older = group[rng.randrange(i)]
            if older["doc_number"] in targets or draw >= 0.25:
                continue
            targets.add(older["doc_number"])
            group[i]["repeals" if draw < 0.15 else "amends"] = older["doc_number"]
    return policies


def generate_entries(rng, count, policies_by_dept):
    """``count`` Q&A entries: colloquial question, 扩展问, 答复口径 and full answer, topics, policy (70 %)."""
    weights = [d["weight"] for d in DEPARTMENTS]
    item_weights = {d["code"]: zipf_weights(len(d["items"])) for d in DEPARTMENTS}
    for i in range(count):
        dept = rng.choices(DEPARTMENTS, weights)[0]
        item, topic = rng.choices(dept["items"], item_weights[dept["code"]])[0]
        values = {"item": item, "who": rng.choice(dept["who"]), "district": rng.choice(DISTRICTS),
                  "detail": rng.choice(dept["details"])}
        question = _fmt(rng.choice(QUESTION_TEMPLATES), **values)
        alts = sorted({_fmt(t, **values) for t in rng.sample(ALT_TEMPLATES, rng.choice([1, 2, 2, 3]))})
        materials = "、".join(rng.sample(dept["materials"], min(len(dept["materials"]), rng.randint(2, 4))))
        place = rng.choice(dept["places"])
        days = rng.choice([1, 3, 5, 7, 10, 15, 20])
        policy = None
        candidates = policies_by_dept.get(dept["code"], [])
        if candidates and rng.random() < 0.7:
            policy = rng.choice(candidates)
        basis = f"依据《{policy['title']}》（{policy['doc_number']}）第{rng.randint(2, 30)}条。" if policy else ""
        short = (f"{values['who']}办理{item}，携带{materials}到{place}申请，也可以通过{dept['app']}网上办理，"
                 f"材料齐全的{days}个工作日内办结。")
        answer = "".join(f"<p>{p}</p>" for p in [
            f"办理条件：{rng.choice(CONDITIONS)}。{values['detail']}，请先向{place}说明情况，按要求补充相关证明。",
            f"所需材料：{materials}。复印件需核对原件，委托他人代办的还需提供授权委托书和代办人身份证。",
            f"办理渠道：{place}窗口办理，或登录{dept['app']}在线申请；{values['district']}的群众也可以就近到"
            f"{rng.choice(DISTRICTS)}政务服务中心综合窗口提交。",
            f"办理时限：受理后{days}个工作日内办结，结果通过短信告知。{basis}咨询电话：{dept['phone']}。",
        ])
        topics = [topic] if rng.random() < 0.6 else sorted({topic, rng.choice(dept["items"])[1]})
        yield {"external_id": f"gen-{i:06d}", "department": dept["code"], "question": question, "alt_questions": alts,
               "short_answer": short, "answer": answer, "topics": topics,
               "policy": policy["doc_number"] if policy else ""}


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def data_fingerprint(args):
    digest = hashlib.sha1()
    for name in ("qa_gold.jsonl", "gold_policies.jsonl", "queries.jsonl", "synonyms.txt"):
        digest.update((DATA_DIR / name).read_bytes())
    digest.update(f"{GENERATOR_VERSION}:{args.seed}:{args.entries}:{args.policies}".encode())
    return digest.hexdigest()[:12]


# --- database, Django ----------------------------------------------------------------------------------------

SETTINGS_TEMPLATE = '''"""Settings of one search_bench run (written by benchmarks/search_bench.py into its temporary directory)."""
import os
from pathlib import Path

from cms.settings.test import *  # noqa: F401,F403

SEARCH_BACKEND = "search.backends.embedded.EmbeddedBackend"
SEARCH_EMBEDDED_DIR = Path(os.environ["SEARCH_EMBEDDED_DIR"])
SEARCH_INDEX_PREFIX = os.environ["SEARCH_INDEX_PREFIX"]
SEARCH_RELOAD_SECONDS = 0.5                    # production value (cms.settings.base); the test settings say 0
SEARCH_API_RATE_LIMITS = [(1_000_000_000, 60)]   # the HTTP stage must not be throttled
TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}  # the benchmark runs the outbox itself
'''


def server_environment(tmp, database_url, stamp):
    env = dict(os.environ)
    env.update({
        "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE, "DATABASE_URL": database_url, "VAR_DIR": str(Path(tmp) / "var"),
        "SEARCH_EMBEDDED_DIR": str(Path(tmp) / "index"), "SEARCH_INDEX_PREFIX": f"bench-search-{stamp}",
        "LOG_LEVEL": "WARNING", "PYTHONPATH": os.pathsep.join([str(tmp), str(REPO)]),
    })
    env.pop("SEARCH_BACKEND", None)
    return env


def setup_django(tmp, database_url, stamp):
    (Path(tmp) / f"{SETTINGS_MODULE}.py").write_text(SETTINGS_TEMPLATE, encoding="utf-8")
    os.environ.update({k: v for k, v in server_environment(tmp, database_url, stamp).items()
                       if k != "PYTHONPATH"})
    os.environ.pop("SEARCH_BACKEND", None)
    sys.path[:0] = [str(tmp), str(REPO)]
    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False
    return settings


def database_description():
    from django.db import connection

    connection.ensure_connection()
    if connection.vendor == "postgresql":
        version = connection.pg_version
        version = f"{version // 10000}.{version % 10000}"
        return {"vendor": "postgresql", "label": f"PostgreSQL {version}", "version": version}
    import sqlite3

    return {"vendor": connection.vendor, "label": f"SQLite {sqlite3.sqlite_version}", "version": sqlite3.sqlite_version}


def say(message):
    sys.stderr.write(f"[bench] {message}\n")
    sys.stderr.flush()


class Progress:
    """A line on stderr every 10 %."""

    def __init__(self, total, label):
        self.total, self.label, self.done, self.decile = max(1, total), label, 0, 0
        self.started = time.monotonic()

    def __call__(self, n=1):
        self.done += n
        decile = self.done * 10 // self.total
        if decile > self.decile:
            self.decile = decile
            say(f"{self.label} {self.done:,}/{self.total:,} ({time.monotonic() - self.started:.0f} s)")


# --- building the content -------------------------------------------------------------------------------------


def build_departments():
    from cms.factories import DepartmentFactory

    departments = {}
    for spec in DEPARTMENTS:
        dept = DepartmentFactory(code=spec["code"], name=spec["name"], short_name=spec["short"], phone=spec["phone"])
        dept.refresh_from_db()
        departments[spec["code"]] = dept
    return departments


def build_policies(departments, specs):
    """Policy pages (live, no interpretation needed), their topics, then the 立改废 relations."""
    from cms.factories import PolicyDocumentPageFactory, clause_body
    from cms.models import PolicyDocumentPage

    pages = {}
    progress = Progress(len(specs), "政策文件 policies")
    for n, spec in enumerate(specs):
        published = datetime.date.fromisoformat(spec["publish_date"])
        page = PolicyDocumentPageFactory(
            parent=departments[spec["department"]].policy_index, slug=f"wj-{n + 1:03d}", title=spec["title"],
            doc_number=spec["doc_number"], issuing_authority=spec["issuing_authority"], summary=spec["summary"],
            written_date=published - datetime.timedelta(days=5), publish_date=published, live=True,
            must_interpret=False, no_interpretation_reason="基准测试数据（无需解读）",
            body=clause_body(spec["summary"], f"本办法由{departments[spec['department']].name}负责解释。",
                             "本办法自发布之日起施行。"),
        )
        if spec.get("topics"):
            page.topics.add(*spec["topics"])
            page.save()
        pages[spec["doc_number"]] = page
        progress()
    for spec in specs:
        for relation in ("repeals", "amends"):
            if spec.get(relation):
                newer = PolicyDocumentPage.objects.get(pk=pages[spec["doc_number"]].pk)
                getattr(newer, relation).add(pages[spec[relation]])
                newer.save()
                older = PolicyDocumentPage.objects.get(pk=pages[spec[relation]].pk)
                older.refresh_validity()
                pages[spec[relation]] = older
    return {number: PolicyDocumentPage.objects.get(pk=page.pk) for number, page in pages.items()}


def mixed(generated, gold, total):
    """The generated rows with the gold rows spread evenly among them (not all at the end)."""
    step = max(1, total // max(1, len(gold)))
    gold = list(gold)
    for i, row in enumerate(generated):
        if gold and i % step == step // 2:
            yield gold.pop(0)
        yield row
    yield from gold


def insert_entries(rows, total, departments, policies, batch=2000):
    """bulk_create live QAEntry rows and their topics (no revisions: the index is rebuilt afterwards)."""
    from django.db import transaction
    from django.utils import timezone
    from taggit.models import Tag

    from search.models import QAEntry, QAEntryTopic

    now = timezone.now()
    tags = {}
    progress = Progress(total, "问答 entries")
    pending = []

    def flush():
        with transaction.atomic():
            created = QAEntry.objects.bulk_create([entry for entry, _ in pending], batch_size=batch)
            links = []
            for entry, (row_topics) in zip(created, (t for _, t in pending), strict=True):
                for name in row_topics:
                    if name not in tags:
                        tags[name] = Tag.objects.get_or_create(name=name)[0].pk
                    links.append(QAEntryTopic(tag_id=tags[name], content_object_id=entry.pk))
            QAEntryTopic.objects.bulk_create(links, batch_size=batch * 2)
        progress(len(pending))
        pending.clear()

    count = 0
    for row in rows:
        policy = policies.get(row["policy"]) if row.get("policy") else None
        entry = QAEntry(
            external_id=row["external_id"], department=departments[row["department"]], question=row["question"],
            alt_questions="\n".join(row.get("alt_questions", [])), short_answer=row["short_answer"],
            answer=row["answer"], policy=policy, live=True, has_unpublished_changes=False,
            first_published_at=now, last_published_at=now,
        )
        pending.append((entry, row.get("topics", [])))
        count += 1
        if len(pending) >= batch:
            flush()
    if pending:
        flush()
    return count


def load_synonyms():
    from django.core.management import call_command

    out = io.StringIO()
    call_command("import_synonyms", str(DATA_DIR / "synonyms.txt"), stdout=out)
    return out.getvalue().strip().splitlines()[-1]


def build_content(args):
    from cms.roles import ensure_all_roles
    from tests.conftest import build_site_tree

    timings = {}
    t0 = time.perf_counter()
    build_site_tree()
    ensure_all_roles()
    departments = build_departments()
    rng = random.Random(f"search-bench-{args.seed}")
    gold_policies = read_jsonl(DATA_DIR / "gold_policies.jsonl")
    policy_specs = gold_policies + generate_policies(rng, args.policies - len(gold_policies),
                                                     {p["doc_number"] for p in gold_policies})
    # Gold policies first (so their repealed predecessors exist), generated ones in date order.
    say(f"建立 {len(policy_specs)} 份政策文件 / building policies …")
    policies = build_policies(departments, policy_specs)
    timings["policies_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    gold = read_jsonl(DATA_DIR / "qa_gold.jsonl")
    by_dept = {}
    for spec in policy_specs:
        by_dept.setdefault(spec["department"], []).append(spec)
    rows = mixed(generate_entries(random.Random(f"search-bench-entries-{args.seed}"), args.entries, by_dept),
                 gold, args.entries)
    say(f"写入 {args.entries + len(gold):,} 条问答 / inserting entries …")
    inserted = insert_entries(rows, args.entries + len(gold), departments, policies)
    timings["entries_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    synonyms = load_synonyms()
    timings["synonyms_s"] = time.perf_counter() - t0

    from cms.models import PolicyDocumentPage

    validity = {}
    for value in PolicyDocumentPage.objects.values_list("validity", flat=True):
        validity[value] = validity.get(value, 0) + 1
    from search.models import SynonymGroup

    return {
        "entries": inserted, "gold_entries": len(gold), "generated_entries": inserted - len(gold),
        "policies": len(policies), "policies_by_validity": validity, "departments": len(departments),
        "synonym_groups": SynonymGroup.objects.count(), "import_synonyms": synonyms,
        "timings": {k: round(v, 1) for k, v in timings.items()},
    }


# --- queries --------------------------------------------------------------------------------------------------

COMMON_TERMS = ["社保", "医保", "公积金", "退休", "补贴", "营业执照", "低保", "异地就医", "失业", "养老保险", "公租房",
                "投诉", "报销", "入学", "社保卡", "贷款", "提取", "备案", "参保", "材料"]
TWO_TERMS = ["公积金 提取", "异地就医 备案", "社保卡 补办", "失业 登记", "医保 报销", "养老金 认证", "营业执照 注销",
             "低保 申请", "公租房 申请", "工伤 认定", "教师资格 认定", "生育 津贴", "创业 贷款", "高龄 津贴", "学籍 证明",
             "网约车 运输证", "维修资金 使用", "食品 许可", "结婚 登记", "医保 转移"]
COLLOQUIAL_TEMPLATES = ["{who}{short}咋办", "{short}要带啥", "{district}{short}在哪办", "{short}多久能好",
                        "{who}想问下{short}怎么弄", "{short}网上能办不"]


def generated_queries(rng, per_kind, doc_numbers):
    queries = []
    for i in range(per_kind):
        queries.append({"id": f"g-one-{i:02d}", "query": COMMON_TERMS[i % len(COMMON_TERMS)], "kind": "one_term"})
        queries.append({"id": f"g-two-{i:02d}", "query": TWO_TERMS[i % len(TWO_TERMS)], "kind": "two_terms"})
        dept = rng.choice(DEPARTMENTS)
        item = rng.choice(dept["items"])[0]
        short = item[:-2] if len(item) > 5 else item  # callers drop the 申请/办理/登记 ending
        queries.append({"id": f"g-three-{i:02d}", "kind": "three_colloquial",
                        "query": rng.choice(COLLOQUIAL_TEMPLATES).format(who=rng.choice(dept["who"]), short=short,
                                                                       district=rng.choice(DISTRICTS))})
        number = rng.choice(doc_numbers)
        prefix, rest = number.split("〔")
        year, seq = rest.split("〕")
        form = [number, f"{year} {seq}", f"{prefix}{year}年{seq}", f"{prefix}[{year}]{seq}"][i % 4]
        queries.append({"id": f"g-doc-{i:02d}", "query": form, "kind": "doc_number"})
    return queries


def words_of(query, single_characters=False):
    """The query's words as the product segments them (stop words dropped), plus the 文号 tokens.

    By default the words the product requires: a lone character (交, 领) only adds to its score, and
    ``LIKE '%交%'`` matches nearly every row, which would make LIMIT 10 stop at once.
    """
    from search.analysis import get_analyzer

    analyzed = get_analyzer().analyze_query(query)
    concepts = analyzed.concepts if single_characters else (analyzed.required or analyzed.concepts)
    words = [c.label for c in concepts] + list(analyzed.doc_number or ())
    return words or [query]


# --- engines under test ---------------------------------------------------------------------------------------


def hit_label(result):
    if result.get("kind") == "policy" and result.get("policy"):
        return f"policy:{result['policy']['doc_number']}"
    return result.get("external_id") or result.get("key")


def embedded_search(query, limit=10):
    from search.service import hotline_search

    response = hotline_search(query, limit=limit, log=False)
    if response.error:
        raise RuntimeError(response.error)
    return [hit_label(r) for r in response.results], [r["question"] for r in response.results]


def icontains_search(query, limit=10, single_characters=False):
    from django.db.models import Q

    from search.models import QAEntry

    condition = Q()
    for word in words_of(query, single_characters):
        condition |= Q(question__icontains=word) | Q(short_answer__icontains=word) | Q(answer__icontains=word)
    matching = QAEntry.objects.filter(condition)
    # Like for like with hotline_search, whose answer carries ``total`` (the API's "total" field):
    # a LIMIT 10 alone stops at the first ten arbitrary rows of a common word (recall 0.09) and
    # measured a different job (0.5-0.8x in the first runs; see benchmarks/README.md).
    matching.count()
    entries = list(matching[:limit])
    return [e.external_id for e in entries], [e.question for e in entries]


def wagtail_path():
    from search.models import QAEntry

    if hasattr(QAEntry.objects, "search"):
        return "QAEntry.objects.search(q)"
    return "get_search_backend().search(q, QAEntry) (QAEntry.objects has no .search())"


def wagtail_search(query, limit=10):
    from search.models import QAEntry

    manager = QAEntry.objects
    if hasattr(manager, "search"):
        results = manager.search(query)[:limit]
    else:  # QAEntry's manager is not a SearchableQuerySet: ask the backend directly, as .search() would
        from wagtail.search.backends import get_search_backend

        results = get_search_backend().search(query, QAEntry)[:limit]
    entries = list(results)
    return [e.external_id for e in entries], [e.question for e in entries]


# --- relevance --------------------------------------------------------------------------------------------------


def evaluate(search, queries):
    per_query = []
    for q in queries:
        labels, questions = search(q["query"])
        relevant = set(q["relevant"])
        ranks = [i + 1 for i, label in enumerate(labels) if label in relevant]
        found5 = len({label for label in labels[:5] if label in relevant})
        per_query.append({"id": q["id"], "query": q["query"], "relevant": q["relevant"], "kind": q.get("kind", ""),
                          "set": q.get("set", "dev"), "first_rank": ranks[0] if ranks else None,
                          "recall_at_5": found5 / len(relevant),
                          "top5": list(zip(labels[:5], questions[:5], strict=True))})
    result = scores(per_query)
    result["by_set"] = {name: scores([p for p in per_query if p["set"] == name])
                        for name in sorted({p["set"] for p in per_query})}
    result["misses"] = [p for p in per_query if p["recall_at_5"] < 1]
    result["per_query"] = [{k: p[k] for k in ("id", "first_rank", "recall_at_5")} for p in per_query]
    return result


def scores(per_query):
    n = len(per_query)
    return {
        "n": n,
        "recall_at_5": sum(p["recall_at_5"] for p in per_query) / n,
        "hit_at_5": sum(1 for p in per_query if p["first_rank"] and p["first_rank"] <= 5) / n,
        "mrr_at_10": sum(1 / p["first_rank"] for p in per_query if p["first_rank"]) / n,
    }


# --- latency ----------------------------------------------------------------------------------------------------


def summarise(samples):
    values = sorted(samples)
    if not values:
        return {"n": 0}
    return {"n": len(values), "p50_ms": statistics.median(values), "p95_ms": percentile(values, 0.95),
            "mean_ms": statistics.fmean(values), "max_ms": values[-1]}


def time_calls(call, queries, rounds, label, found=None):
    """Round-robin: every round runs every query once, each round starting elsewhere. {id: [ms, …]}.

    ``found``, when given, receives the number of results of each query (from its last call).
    """
    samples = {q["id"]: [] for q in queries}
    clock = time.perf_counter_ns
    progress = Progress(rounds * len(queries), label)
    for r in range(rounds):
        shift = (r * 7) % len(queries)
        for q in queries[shift:] + queries[:shift]:
            started = clock()
            answer = call(q["query"])
            samples[q["id"]].append((clock() - started) / 1e6)
            if found is not None:
                found[q["id"]] = len(answer[0])
            progress()
    return samples


def stratified_sample(queries, size):
    """Every k-th query of each kind, about ``size`` in all, labeled ones first (deterministic)."""
    by_kind = {}
    for q in queries:
        by_kind.setdefault("labeled" if "relevant" in q else q["kind"], []).append(q)
    share = {kind: max(1, round(size * (0.5 if kind == "labeled" else 0.5 / (len(by_kind) - 1 or 1))))
             for kind in by_kind}
    picked = []
    for kind, group in by_kind.items():
        step = max(1, len(group) // share[kind])
        picked += group[::step][:share[kind]]
    return picked


def time_and_answer(call, queries, label):
    """One timed call per query, keeping the answers (for engines too slow to run twice)."""
    samples, answers = {}, {}
    progress = Progress(len(queries), label)
    for q in queries:
        started = time.perf_counter_ns()
        answers[q["query"]] = call(q["query"])
        samples[q["id"]] = [(time.perf_counter_ns() - started) / 1e6]
        progress()
    return samples, answers


def latency_report(samples, queries):
    flat = [v for values in samples.values() for v in values]
    by_kind = {}
    for q in queries:
        by_kind.setdefault(q.get("kind") or "labeled", []).extend(samples[q["id"]])
    return {**summarise(flat), "by_kind": {k: summarise(v) for k, v in by_kind.items()},
            "per_query_median_ms": {qid: statistics.median(v) for qid, v in samples.items() if v}}


def icontains_regimes(icontains, embedded, found):
    """LIMIT 10 without ORDER BY stops at the 10th matching row; with fewer matches it reads the whole table."""
    regimes = {}
    for name, keep in (("early_exit", lambda n: n >= 10), ("full_scan", lambda n: n < 10)):
        ids = [qid for qid, n in found.items() if keep(n)]
        if not ids:
            continue
        mine = [icontains["per_query_median_ms"][qid] for qid in ids]
        theirs = [embedded["per_query_median_ms"][qid] for qid in ids]
        regimes[name] = {"queries": len(ids), "p50_ms": statistics.median(mine),
                         "embedded_p50_ms": statistics.median(theirs),
                         "ratio_p50": statistics.median(mine) / statistics.median(theirs)}
    return regimes


def ratios(other, embedded):
    paired = [other["per_query_median_ms"][qid] / embedded["per_query_median_ms"][qid]
              for qid in other["per_query_median_ms"] if embedded["per_query_median_ms"].get(qid)]
    return {"p50": other["p50_ms"] / embedded["p50_ms"], "p95": other["p95_ms"] / embedded["p95_ms"],
            "paired_median": statistics.median(paired) if paired else None}


# --- HTTP -------------------------------------------------------------------------------------------------------


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(port, path, timeout=30):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Accept": "application/json"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def api_path(query):
    return f"/api/qa/search?q={quote(query)}&limit=10"


def http_stage(args, tmp, database_url, stamp, queries):
    """gunicorn on a free loopback port, same settings and database; sequential GETs; stopped at the end."""
    port = free_port()
    log_path = Path(tmp) / "gunicorn.log"
    command = [sys.executable, "-m", "gunicorn", "cms.wsgi", "--bind", f"127.0.0.1:{port}", "--workers",
               str(args.http_workers), "--timeout", "120", "--error-logfile", str(log_path)]
    say(f"HTTP: 启动 gunicorn（{args.http_workers} worker）127.0.0.1:{port} / starting the server …")
    with open(log_path, "ab") as log:
        server = subprocess.Popen(command, cwd=REPO, env=server_environment(tmp, database_url, stamp), stdout=log,
                                  stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({server.returncode}): {log_path.read_text()[-2000:]}")
            try:
                status, body = http_get(port, api_path("社保"), timeout=5)
                if status == 200:
                    break
                raise RuntimeError(f"GET /api/qa/search → HTTP {status}: {body[:300]!r}")
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not answer within 90 s") from None
                time.sleep(0.3)
        for q in queries[:20]:  # warm-up: the worker loads the vocabulary and opens the index
            http_get(port, api_path(q["query"]))
        samples, server_ms, errors = [], [], 0
        progress = Progress(args.http_requests, "HTTP 请求 requests")
        clock = time.perf_counter_ns
        for i in range(args.http_requests):
            q = queries[i % len(queries)]
            started = clock()
            status, body = http_get(port, api_path(q["query"]))
            elapsed = (clock() - started) / 1e6
            if status != 200:
                errors += 1
            else:
                samples.append(elapsed)
                server_ms.append(json.loads(body)["took_ms"])
            progress()
        return {**summarise(samples), "errors": errors, "workers": args.http_workers, "server": "gunicorn (sync)",
                "search_took_ms": summarise(server_ms), "keep_alive": False}
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# --- indexing ---------------------------------------------------------------------------------------------------


def rebuild():
    from django.utils import timezone

    from search.documents import count_documents
    from search.indexing import rebuild_index
    from search.models import IndexOutbox

    # Set-up wrote outbox rows (立改废 validity changes); a full rebuild makes them redundant.
    IndexOutbox.objects.filter(done_at__isnull=True).update(done_at=timezone.now())
    expected = count_documents()
    progress = Progress(expected, "重建索引 rebuild")
    started = time.perf_counter()
    count = rebuild_index(progress=progress)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "documents": count, "docs_per_s": count / seconds}


def index_dir_size():
    from django.conf import settings

    root = Path(settings.SEARCH_EMBEDDED_DIR)
    return sum(f.stat().st_size for f in root.rglob("*") if f.is_file())


def update_runs(runs, seed):
    """Edit + publish one entry, then process_outbox(); the edit must then be found (median of ``runs``)."""
    from search.backends.base import SearchFilters
    from search.models import QAEntry
    from search.outbox import process_outbox
    from search.service import hotline_search

    rng = random.Random(f"search-bench-updates-{seed}")
    ids = list(QAEntry.objects.filter(live=True, external_id__startswith="gen-").values_list("pk", flat=True)[:5000])
    publish_ms, outbox_ms, total_ms, visible = [], [], [], 0
    for i in range(runs):
        entry = QAEntry.objects.get(pk=rng.choice(ids))
        mark = f"{UPDATE_MARK}{i:02d}{seed}"
        entry.short_answer = f"{entry.short_answer.split(' ' + UPDATE_MARK)[0]} {mark}"
        started = time.perf_counter()
        entry.save_revision().publish()
        published = time.perf_counter()
        applied, failed = process_outbox()
        done = time.perf_counter()
        # include_repealed: the entry may rest on a 已废止 policy, which the default filters hide.
        found = hotline_search(mark, filters=SearchFilters(include_repealed=True), log=False)
        keys = [r["key"] for r in found.results]
        visible += f"qa:{entry.pk}" in keys and not failed and applied >= 1
        publish_ms.append((published - started) * 1000)
        outbox_ms.append((done - published) * 1000)
        total_ms.append((done - started) * 1000)
    return {"runs": runs, "visible": visible, "publish": summarise(publish_ms), "process_outbox": summarise(outbox_ms),
            "publish_and_outbox": summarise(total_ms)}


# --- Elasticsearch (when configured) ------------------------------------------------------------------------------


def elasticsearch_stage(labeled, workload, stamp):
    url = os.environ.get("ELASTICSEARCH_URL", "")
    if not url:
        return {"skipped": "ELASTICSEARCH_URL 未设置 / not set"}
    if not (REPO / "search" / "backends" / "elasticsearch.py").is_file():
        return {"skipped": "search/backends/elasticsearch.py 不存在 / does not exist"}
    from django.conf import settings

    from search.backends import get_backend, reset_backend

    saved = (settings.SEARCH_BACKEND, settings.ELASTICSEARCH_URL, settings.SEARCH_INDEX_PREFIX)
    settings.SEARCH_BACKEND = "search.backends.elasticsearch.ElasticsearchBackend"
    settings.ELASTICSEARCH_URL = url
    settings.SEARCH_INDEX_PREFIX = f"bench-search-{stamp}"
    reset_backend()
    backend = None
    try:
        backend = get_backend()
        if not backend.ping():
            return {"skipped": f"Elasticsearch {url} 无响应 / does not answer"}
        say("Elasticsearch: 重建索引 / rebuilding …")
        built = rebuild()
        relevance = evaluate(embedded_search, labeled)
        for q in workload[:20]:
            embedded_search(q["query"])
        latency = latency_report(time_calls(embedded_search, workload, 2, "Elasticsearch 检索 queries"), workload)
        return {"url": url, "rebuild": built, "relevance": relevance, "latency": latency}
    except Exception as exc:  # report, do not lose the embedded figures
        return {"skipped": f"Elasticsearch 出错 / failed: {type(exc).__name__}: {exc}"[:500]}
    finally:
        if backend is not None:
            with contextlib.suppress(Exception):
                backend.clear()
        settings.SEARCH_BACKEND, settings.ELASTICSEARCH_URL, settings.SEARCH_INDEX_PREFIX = saved
        reset_backend()


# --- report ---------------------------------------------------------------------------------------------------------


def verdict(passed):
    return "达标 PASS" if passed else "未达标 FAIL"


def goals_of(result):
    rel = result["relevance"]["embedded"]
    lat = result["latency"]
    goals = [
        {"key": "recall_at_5", "label": "Recall@5（嵌入式 embedded）", "target": f"≥ {GOALS['recall_at_5']}",
         "measured": rel["recall_at_5"], "shown": f"{rel['recall_at_5']:.3f}",
         "passed": rel["recall_at_5"] >= GOALS["recall_at_5"]},
        {"key": "p95_ms", "label": f"进程内 p95 in-process（{result['corpus']['entries']:,} 条）",
         "target": f"≤ {GOALS['p95_ms']:.0f} ms @ {GOAL_ENTRIES:,}", "measured": lat["embedded"]["p95_ms"],
         "shown": f"{lat['embedded']['p95_ms']:.2f} ms", "passed": lat["embedded"]["p95_ms"] <= GOALS["p95_ms"]},
    ]
    if "icontains" in lat.get("ratios", {}):
        ratio = lat["ratios"]["icontains"]["p50"]
        goals.append({"key": "icontains_ratio", "label": "比 icontains 快 faster than icontains (p50)",
                      "target": f"≥ {GOALS['icontains_ratio']:.0f}×", "measured": ratio, "shown": f"{ratio:.1f}×",
                      "passed": ratio >= GOALS["icontains_ratio"]})
    scan = lat.get("icontains", {}).get("regimes", {}).get("full_scan")
    for goal in goals:
        if goal["key"] == "icontains_ratio" and scan:
            goal["note"] = (f"其中扫全表的 {scan['queries']} 条查询 on the {scan['queries']} full-scan queries: "
                            f"{scan['ratio_p50']:.0f}×")
        if goal["key"] == "p95_ms" and result["corpus"]["entries"] < GOAL_ENTRIES:
            goal["note"] = f"目标按 {GOAL_ENTRIES:,} 条判定 / the goal is stated at {GOAL_ENTRIES:,} entries"
    return goals


def print_report(result):
    env, corpus = result["environment"], result["corpus"]
    print()
    print(f"热线政策问答检索基准 · Hotline search benchmark — {result['database']['label']} · "
          f"{corpus['entries']:,} 条问答 entries ({corpus['gold_entries']} 条手写 hand-written) · "
          f"{corpus['policies']} 份文件 policies {corpus['policies_by_validity']} · {corpus['synonym_groups']} 组同义词")
    print(f"Python {env['python']} · Django {env['django']} · Wagtail {env['wagtail']} · tantivy {env['tantivy']} · "
          f"{env['machine']} · git {result['git']['commit'][:10]}{' (dirty)' if result['git']['dirty'] else ''} · "
          f"负载 load {env['loadavg_at_start'][0]:.2f} → {env['loadavg_at_end'][0]:.2f}")

    print("\n== 相关性 relevance（{} 条标注查询 labeled queries，默认过滤：不含已废止）".format(
        result["relevance"]["embedded"]["n"]))
    rows = []
    for key, label in (("embedded", "嵌入式 embedded (tantivy)"), ("elasticsearch", "Elasticsearch"),
                       ("icontains", "ORM icontains (LIMIT 10)"), ("wagtail", "Wagtail 数据库后端 database backend")):
        rel = result["relevance"].get(key)
        if not rel:
            continue
        if "skipped" in rel:
            rows.append([label, "—", "—", "—", f"跳过 skipped: {rel['skipped']}"])
            continue
        rows.append([label, f"{rel['recall_at_5']:.3f}", f"{rel['hit_at_5']:.3f}", f"{rel['mrr_at_10']:.3f}",
                     f"{len(rel['misses'])} 条未全中 misses"])
        for name, part in rel.get("by_set", {}).items():
            rows.append([f"  {SET_LABELS.get(name, name)} ({part['n']})", f"{part['recall_at_5']:.3f}",
                         f"{part['hit_at_5']:.3f}", f"{part['mrr_at_10']:.3f}", ""])
    print(table(["检索 engine", "Recall@5", "Hit@5", "MRR@10", ""], rows))
    misses = result["relevance"]["embedded"]["misses"]
    if misses:
        print("\n  嵌入式未在前 5 找到的查询 embedded misses (rank of the first relevant answer; top 3 shown):")
        for m in misses:
            rank = m["first_rank"] or "—"
            print(f"  · [{m['set']}] {m['query']}  → 应为 want {', '.join(m['relevant'])}; 名次 rank {rank}")
            for label, question in m["top5"][:3]:
                print(f"      {label}: {question}")

    lat = result["latency"]
    print(f"\n== 延迟 latency（混合查询 {lat['workload']['queries']} 条 mixed queries: {lat['workload']['by_kind']}）")
    rows = []
    emb = lat["embedded"]
    rows.append([f"hotline_search 进程内 in-process ×{lat['rounds']}", f"{emb['p50_ms']:.2f}", f"{emb['p95_ms']:.2f}",
                 f"{emb['mean_ms']:.2f}", "1.0×", "1.0×"])
    for key, label in (("http", "GET /api/qa/search (HTTP, gunicorn)"), ("icontains", "ORM icontains"),
                       ("wagtail", "Wagtail .search()"), ("elasticsearch", "Elasticsearch 进程内 in-process")):
        data = lat.get(key)
        if not data:
            continue
        if "skipped" in data:
            rows.append([label, "—", "—", "—", "—", f"跳过 skipped: {data['skipped']}"])
            continue
        r = lat["ratios"].get(key, {})
        if data.get("sample"):
            label += f"（样本 sample {data['sample']}）"
        rows.append([label, f"{data['p50_ms']:.2f}", f"{data['p95_ms']:.2f}", f"{data['mean_ms']:.2f}",
                     f"{r['p50']:.1f}×" if r else "—", f"{r['paired_median']:.1f}×" if r.get("paired_median") else "—"])
    print(table(["方式 path", "p50 ms", "p95 ms", "平均 mean", "p50 比 vs embedded", "逐查询比 paired"], rows))
    regimes = lat.get("icontains", {}).get("regimes", {})
    if regimes:
        print("\n  icontains 的两种情形（同一批查询与嵌入式比较）icontains regimes, same queries vs embedded:")
        names = {"early_exit": "≥10 行命中，LIMIT 10 提前结束 early exit", "full_scan": "<10 行命中，扫全表 full scan"}
        print(table(["情形 regime", "查询数 queries", "icontains p50", "嵌入式 embedded p50", "比 ratio"],
                    [[names[k], str(r["queries"]), f"{r['p50_ms']:.2f} ms", f"{r['embedded_p50_ms']:.2f} ms",
                      f"{r['ratio_p50']:.1f}×"] for k, r in regimes.items()]))
    by_kind = [[kind, f"{s['p50_ms']:.2f}", f"{s['p95_ms']:.2f}", str(s["n"])] for kind, s in emb["by_kind"].items()]
    print("\n  嵌入式按查询类型 embedded by query kind:")
    print(table(["类型 kind", "p50 ms", "p95 ms", "次数 n"], by_kind))
    if lat.get("http") and "search_took_ms" in lat["http"]:
        took = lat["http"]["search_took_ms"]
        print(f"  HTTP 响应中的 took_ms（服务端 hotline_search）: p50 {took['p50_ms']:.2f} ms, p95 {took['p95_ms']:.2f} ms")

    idx = result["indexing"]
    upd = idx["update"]
    print("\n== 索引 indexing")
    print(table(["项目 item", "结果 result"], [
        ["全量重建 rebuild_index()", f"{idx['rebuild']['seconds']:.1f} s（{idx['rebuild']['documents']:,} 篇文档 docs, "
                                     f"{idx['rebuild']['docs_per_s']:,.0f} 篇/秒 docs/s, 索引 {idx['index_mb']:.0f} MB）"],
        ["Wagtail update_index", f"{idx['wagtail_update_index_s']:.1f} s"],
        [f"单条更新 one entry ×{upd['runs']}: 发布 publish", f"{upd['publish']['p50_ms']:.1f} ms (中位数 median)"],
        ["  process_outbox()", f"{upd['process_outbox']['p50_ms']:.1f} ms (中位数 median), "
                               f"p95 {upd['process_outbox']['p95_ms']:.1f} ms"],
        ["  合计 total / 可检索 found after", f"{upd['publish_and_outbox']['p50_ms']:.1f} ms / "
                                              f"{upd['visible']}/{upd['runs']}"],
    ], right_from=9))

    print("\n== 目标 goals")
    rows = [[g["label"], g["target"], g["shown"], verdict(g["passed"]) + (f"（{g['note']}）" if g.get("note") else "")]
            for g in result["goals"]]
    print(table(["目标 goal", "要求 target", "实测 measured", "结论 verdict"], rows, right_from=9))


def compare_with_baseline(result, path):
    baseline = json.loads(Path(path).read_text(encoding="utf-8"))
    print(f"\n与基线对比 · compared with baseline {path}")
    for label, entry in (("基线 baseline", baseline), ("本次 this run", result)):
        print(f"  {label}: {entry['timestamp']} · {entry['database']['label']} · git {entry['git']['commit'][:10]} · "
              f"{entry['corpus']['entries']:,} entries · 负载 load {entry['environment']['loadavg_at_start'][0]:.2f}")
    warnings = []
    if baseline["database"]["vendor"] != result["database"]["vendor"]:
        warnings.append("数据库不同 / different database")
    if baseline["corpus"]["entries"] != result["corpus"]["entries"]:
        warnings.append(f"条数不同 / different corpus size: {baseline['corpus']['entries']:,} → "
                        f"{result['corpus']['entries']:,} entries")
    if baseline["corpus"].get("fingerprint") != result["corpus"].get("fingerprint"):
        warnings.append("语料或标注不同 / different corpus, labels or synonyms (fingerprint)")
    if baseline["environment"].get("machine") != result["environment"].get("machine"):
        warnings.append("机器不同 / different machine: compare ratios, not milliseconds")
    for warning in warnings:
        print(f"  !! {warning}")

    def get(entry, *keys):
        for key in keys:
            if not isinstance(entry, dict) or key not in entry:
                return None
            entry = entry[key]
        return entry

    metrics = [
        ("Recall@5", ("relevance", "embedded", "recall_at_5"), "{:.3f}"),
        ("MRR@10", ("relevance", "embedded", "mrr_at_10"), "{:.3f}"),
        ("Recall@5 Elasticsearch", ("relevance", "elasticsearch", "recall_at_5"), "{:.3f}"),
        ("进程内 p50 in-process ms", ("latency", "embedded", "p50_ms"), "{:.2f}"),
        ("进程内 p95 in-process ms", ("latency", "embedded", "p95_ms"), "{:.2f}"),
        ("HTTP p50 ms", ("latency", "http", "p50_ms"), "{:.2f}"),
        ("HTTP p95 ms", ("latency", "http", "p95_ms"), "{:.2f}"),
        ("icontains / embedded (p50)", ("latency", "ratios", "icontains", "p50"), "{:.1f}×"),
        ("Wagtail / embedded (p50)", ("latency", "ratios", "wagtail", "p50"), "{:.1f}×"),
        ("重建 rebuild s", ("indexing", "rebuild", "seconds"), "{:.1f}"),
        ("单条更新 process_outbox ms", ("indexing", "update", "process_outbox", "p50_ms"), "{:.1f}"),
    ]
    rows = []
    for label, keys, fmt in metrics:
        before, now = get(baseline, *keys), get(result, *keys)
        if before is None and now is None:
            continue
        change = f"{(now - before) / before * 100:+.1f} %" if before and now is not None else "—"
        rows.append([label, fmt.format(before) if before is not None else "—",
                     fmt.format(now) if now is not None else "—", change])
    print(table(["指标 metric", "基线 baseline", "本次 now", "变化 change"], rows))
    # Misses compared over the labeled queries both runs have (the query sets may have grown).
    both = ({p["id"] for p in get(baseline, "relevance", "embedded", "per_query") or []}
            & {p["id"] for p in result["relevance"]["embedded"]["per_query"]})
    before_misses = {m["id"]: m["query"] for m in get(baseline, "relevance", "embedded", "misses") or []
                     if m["id"] in both}
    now_misses = {m["id"]: m["query"] for m in result["relevance"]["embedded"]["misses"] if m["id"] in both}
    added = sorted(now_misses[i] for i in set(now_misses) - set(before_misses))
    fixed = sorted(before_misses[i] for i in set(before_misses) - set(now_misses))
    only_now = len(result["relevance"]["embedded"]["per_query"]) - len(both)
    if added or fixed or only_now:
        print(f"  同一批 {len(both)} 条标注查询 over the {len(both)} labeled queries of both runs: "
              f"新增未命中 new misses {added or '—'}; 已修复 fixed {fixed or '—'}"
              + (f"; 基线中没有的查询 queries not in the baseline: {only_now}" if only_now else ""))
    print("  机器共享、负载会变：毫秒数可相差 25 % 以上，请看同一次运行内的比值 "
          "(shared machine: compare in-run ratios, not absolute ms).")


def environment():
    import django
    import wagtail

    try:
        from importlib.metadata import version

        tantivy_version = version("tantivy")
    except Exception:
        tantivy_version = "?"
    return {"python": platform.python_version(), "django": django.get_version(), "wagtail": wagtail.__version__,
            "tantivy": tantivy_version, "machine": f"{platform.node()} {platform.machine()} ×{os.cpu_count()}",
            "platform": platform.platform(), "loadavg_at_start": list(os.getloadavg())}


# --- main -------------------------------------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=100_000, help="generated Q&A entries (default 100,000)")
    parser.add_argument("--policies", type=int, default=200, help="policy documents, hand-written ones included")
    parser.add_argument("--seed", type=int, default=4, help="corpus seed (default 4)")
    parser.add_argument("--rounds", type=int, default=5, help="in-process rounds over the workload (default 5)")
    parser.add_argument("--generated-queries", type=int, default=30,
                        help="generated queries of each kind in the latency workload (default 30)")
    parser.add_argument("--wagtail-queries", type=int, default=24,
                        help="queries sent to Wagtail's database backend, half of them labeled (default 24; "
                             "it takes seconds per query at 100k)")
    parser.add_argument("--http-requests", type=int, default=300, help="timed HTTP requests; 0 skips (default 300)")
    parser.add_argument("--http-workers", type=int, default=1, help="gunicorn workers (default 1)")
    parser.add_argument("--update-runs", type=int, default=20, help="single-entry updates (default 20)")
    parser.add_argument("--database-url", default="",
                        help="default: SQLite in a temporary directory. postgres://…/NAME creates NAME and drops it "
                             "afterwards; sqlite:///PATH must not exist yet")
    parser.add_argument("--replace-db", action="store_true", help="PostgreSQL: drop NAME first if it exists")
    parser.add_argument("--keep-db", action="store_true", help="PostgreSQL: keep the database after the run")
    parser.add_argument("--baseline", metavar="FILE", help="a previous results JSON to compare with, side by side")
    parser.add_argument("--output", metavar="FILE", help="where to write the JSON (default benchmarks/results/…)")
    parser.add_argument("--no-save", action="store_true", help="do not write a results file")
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    args = parser.parse_args(argv)
    if args.entries < 100 or args.policies < 30 or args.rounds < 1 or args.update_runs < 1:
        parser.error("--entries ≥ 100, --policies ≥ 30, --rounds ≥ 1, --update-runs ≥ 1")
    if args.baseline and not Path(args.baseline).is_file():
        parser.error(f"no such baseline file: {args.baseline}")
    return args


def run(args, tmp):
    started_at = datetime.datetime.now().astimezone()
    stamp = started_at.strftime("%Y%m%d-%H%M%S")
    database_url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
    postgres = is_postgres(database_url)
    if postgres:
        create_postgres_database(database_url, args.replace_db)
    elif args.database_url:
        check_sqlite_url(database_url)
    wall = time.monotonic()
    try:
        setup_django(tmp, database_url, stamp)
        from django.core.management import call_command

        env = environment()
        db = database_description()
        stages = {}
        mark = [time.monotonic()]

        def stage(name):
            now = time.monotonic()
            stages[name] = round(now - mark[0], 1)
            mark[0] = now

        say(f"{db['label']}: migrate …")
        call_command("migrate", interactive=False, verbosity=0, stdout=io.StringIO(), stderr=io.StringIO())
        stage("migrate")
        corpus = build_content(args)
        stage("content")
        corpus["fingerprint"] = data_fingerprint(args)
        say(f"同义词 synonyms: {corpus['import_synonyms']}")

        say("Wagtail update_index …")
        t0 = time.perf_counter()
        call_command("update_index", verbosity=0, stdout=io.StringIO())
        wagtail_index_s = time.perf_counter() - t0
        stage("wagtail_update_index")

        built = rebuild()
        stage("rebuild")
        say(f"重建完成 rebuilt: {built['documents']:,} docs in {built['seconds']:.1f} s")

        labeled = read_jsonl(DATA_DIR / "queries.jsonl")
        from cms.models import PolicyDocumentPage

        numbers = sorted(PolicyDocumentPage.objects.exclude(doc_number="").values_list("doc_number", flat=True))
        workload = labeled + generated_queries(random.Random(f"search-bench-queries-{args.seed}"),
                                               args.generated_queries, numbers)
        kinds = {}
        for q in workload:
            kind = q.get("kind") if q["id"].startswith("g-") else "labeled"
            kinds[kind] = kinds.get(kind, 0) + 1

        say("相关性 relevance …")
        relevance = {"embedded": evaluate(embedded_search, labeled)}
        relevance["icontains"] = evaluate(icontains_search, labeled)
        stage("relevance")

        say("延迟 latency: 预热 warm-up …")
        for q in workload:
            embedded_search(q["query"])
        latency = {"rounds": args.rounds, "workload": {"queries": len(workload), "by_kind": kinds}, "ratios": {}}
        latency["embedded"] = latency_report(time_calls(embedded_search, workload, args.rounds, "嵌入式 embedded"),
                                             workload)
        for q in workload[:5]:
            icontains_search(q["query"])
        found = {}
        latency["icontains"] = latency_report(time_calls(icontains_search, workload, 1, "icontains", found), workload)
        latency["ratios"]["icontains"] = ratios(latency["icontains"], latency["embedded"])
        latency["icontains"]["regimes"] = icontains_regimes(latency["icontains"], latency["embedded"], found)
        stage("latency_in_process")
        # Wagtail's database backend takes seconds per query at 100k: one pass over a stratified sample,
        # whose labeled queries give its recall and all of which give its latency.
        sample = stratified_sample(workload, args.wagtail_queries)
        wagtail_search(sample[0]["query"])
        timed, answers = time_and_answer(wagtail_search, sample, "Wagtail .search()")
        latency["wagtail"] = {**latency_report(timed, sample), "sample": len(sample), "path": wagtail_path()}
        latency["ratios"]["wagtail"] = ratios(latency["wagtail"], latency["embedded"])
        relevance["wagtail"] = {**evaluate(lambda query: answers[query], [q for q in sample if "relevant" in q]),
                                "sample": "labeled queries of a stratified sample (--wagtail-queries)"}
        stage("wagtail_search")

        if args.http_requests:
            try:
                latency["http"] = http_stage(args, tmp, database_url, stamp, workload)
                latency["ratios"]["http"] = {"p50": latency["http"]["p50_ms"] / latency["embedded"]["p50_ms"],
                                             "p95": latency["http"]["p95_ms"] / latency["embedded"]["p95_ms"],
                                             "paired_median": None}
            except Exception as exc:
                latency["http"] = {"skipped": f"{type(exc).__name__}: {exc}"[:500]}
        else:
            latency["http"] = {"skipped": "--http-requests 0"}
        stage("http")

        say("单条更新 single-entry updates …")
        indexing = {"rebuild": built, "index_mb": index_dir_size() / 1e6, "wagtail_update_index_s": wagtail_index_s,
                    "update": update_runs(args.update_runs, args.seed)}
        stage("updates")

        es = elasticsearch_stage(labeled, workload, stamp)
        if "skipped" in es:
            relevance["elasticsearch"] = {"skipped": es["skipped"]}
            latency["elasticsearch"] = {"skipped": es["skipped"]}
        else:
            relevance["elasticsearch"] = es["relevance"]
            latency["elasticsearch"] = es["latency"]
            latency["ratios"]["elasticsearch"] = ratios(es["latency"], latency["embedded"])
            indexing["elasticsearch_rebuild"] = es["rebuild"]
        stage("elasticsearch")

        env["loadavg_at_end"] = list(os.getloadavg())
        result = {
            "benchmark": "search_bench", "format": FORMAT_VERSION, "timestamp": started_at.isoformat(timespec="seconds"),
            "git": git_state(), "environment": env, "database": db,
            "args": {k: getattr(args, k) for k in ("entries", "policies", "seed", "rounds", "generated_queries",
                                                    "wagtail_queries", "http_requests", "http_workers", "update_runs")},
            "corpus": corpus, "relevance": relevance, "latency": latency, "indexing": indexing,
            "wall_seconds": None, "stage_seconds": stages,
        }
        result["goals"] = goals_of(result)
        result["passed"] = all(g["passed"] for g in result["goals"])
        result["wall_seconds"] = round(time.monotonic() - wall, 1)

        print_report(result)
        print(f"\n总耗时 wall time: {result['wall_seconds']:.0f} s（各阶段 stages: "
              + ", ".join(f"{k} {v:.0f}" for k, v in stages.items()) + " s）")
        if args.baseline:
            compare_with_baseline(result, args.baseline)
        if not args.no_save:
            path = Path(args.output) if args.output else RESULTS_DIR / f"search_bench-{stamp}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
            shown = path.resolve().relative_to(REPO) if path.resolve().is_relative_to(REPO) else path
            print(f"\n结果已保存 results saved: {shown}")
            print(f"下次对比 compare next time: .venv/bin/python benchmarks/search_bench.py --baseline {shown}")
        return result
    finally:
        from django.db import connections

        with contextlib.suppress(Exception):
            connections.close_all()
        if postgres and not args.keep_db:
            drop_postgres_database(database_url)


def main(argv=None):
    args = parse_args(argv)
    tmp = tempfile.mkdtemp(prefix="bench-search-")
    try:
        result = run(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if args.check and not result["passed"] else 0


if __name__ == "__main__":
    sys.exit(main())

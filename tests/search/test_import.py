"""manage.py import_qa and import_synonyms: formats, bad rows, idempotency, departments and policies."""
import csv
import datetime
import json
from io import StringIO

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cms.models import Department, PolicyDocumentPage, Validity
from search.factories import QAEntryFactory, SynonymGroupFactory
from search.models import IndexOutbox, QAEntry, SynonymGroup
from tests.search.conftest import live_policy

pytestmark = pytest.mark.django_db

ANSWER = "灵活就业人员可以以个人身份参加企业职工基本养老保险。\n办理地点：户籍或居住地社保经办机构，也可在网上经办大厅办理。"


def run(command, *args):
    """Run a command; returns (stdout, the CommandError or None)."""
    out, err = StringIO(), StringIO()
    try:
        call_command(command, *map(str, args), stdout=out, stderr=err)
    except CommandError as exc:
        return out.getvalue(), exc
    return out.getvalue(), None


def qa(external_id, **fields):
    row = {"external_id": external_id, "question": f"灵活就业人员怎么缴纳社会保险？（{external_id}）", "answer": ANSWER,
           "department": "rsj", "topics": ["社会保险", "就业"]}
    row.update(fields)
    return row


def write_jsonl(path, rows):
    """Rows are dicts (written as JSON) or raw strings (written as they are)."""
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows),
                    encoding="utf-8")
    return path


CSV_HEADER = ["external_id", "question", "answer", "department", "topics", "short_answer", "alt_questions",
              "policy_external_id", "policy_title", "policy_doc_number", "policy_status", "policy_issued"]


def write_csv(path, rows):
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(CSV_HEADER)
        for row in rows:
            writer.writerow([row.get(name, "") for name in CSV_HEADER])
    return path


# --- JSONL -----------------------------------------------------------------------------------------
@pytest.fixture
def jsonl_file(tmp_path):
    return write_jsonl(tmp_path / "qa.jsonl", [
        qa("QA-001", policy={"external_id": "P-83", "title": "乌鲁木齐市灵活就业人员参加社会保险办法",
                             "doc_number": "乌政办[2021] 83号", "status": "现行有效", "issued": "2021-06-01"}),
        qa("QA-002", department="市医保局", question="异地就医怎么备案？", alt_questions=["去外地看病医保能报销吗"],
           short_answer="通过国家医保服务平台或窗口办理异地就医备案。",
           answer='<p>长期异地居住人员可以<strong>网上备案</strong>。</p><script>alert(1)</script>'
                  '<p onclick="x()"><a href="javascript:alert(1)">点这里</a> <a href="https://fuwu.nhsa.gov.cn">国家医保服务平台</a></p>'
                  '<table><tr><td>表格里的字</td></tr></table>'),
        qa("QA-003", department="乌鲁木齐市教育局", question="随迁子女怎么入学？", topics=[],
           answer="持居住证和户口簿向居住地区教育局申请，按学区划片入学。",
           policy={"title": "乌鲁木齐市随迁子女入学暂行办法", "doc_number": "乌教发〔2015〕3号", "status": "repealed",
                   "issued": "2015年3月1日"}),
        "",
        '{"external_id": "QA-004", "question": "缺了右括号"',
        qa("QA-005", question=""),
        qa("QA-006", answer="请来电。"),
        qa("QA-007", policy={"title": "某办法", "status": "作废", "issued": "2020-01-01"}),
        qa("QA-008", policy={"title": "某通知", "doc_number": "2020年第3号", "issued": "2020-01-01"}),
    ])


def test_jsonl_good_and_bad_rows(departments, jsonl_file):
    out, error = run("import_qa", jsonl_file)

    assert "新增 3，更新 0，未变 0，出错 5" in out
    assert "新建部门 1，新建政策文件 2" in out
    assert "第 5 行：JSON 格式错误" in out
    assert "第 6 行（QA-005）：缺少标准问（question）" in out
    assert "第 7 行（QA-006）：答复太短（至少 10 个字）" in out
    assert "第 8 行（QA-007）：未知的政策效力状态“作废”" in out
    assert "第 9 行（QA-008）：政策文号“2020年第3号”格式不正确" in out
    assert error is not None and error.returncode == 1  # some rows failed; the good ones are stored

    assert set(QAEntry.objects.values_list("external_id", flat=True)) == {"QA-001", "QA-002", "QA-003"}
    for entry in QAEntry.objects.all():
        assert entry.live and entry.live_revision_id and not entry.has_unpublished_changes
        assert IndexOutbox.objects.filter(source=entry.source_key).exists()  # published through the signals

    first = QAEntry.objects.get(external_id="QA-001")
    assert first.department == departments["rsj"]
    assert first.answer == ("<p>灵活就业人员可以以个人身份参加企业职工基本养老保险。</p>"
                            "<p>办理地点：户籍或居住地社保经办机构，也可在网上经办大厅办理。</p>")
    assert first.short_answer == "灵活就业人员可以以个人身份参加企业职工基本养老保险。"  # the first sentence
    assert sorted(first.topics.names()) == ["就业", "社会保险"]
    assert first.policy.doc_number == "乌政办〔2021〕83号"  # normalised

    second = QAEntry.objects.get(external_id="QA-002")
    assert second.department == departments["ybj"]  # by short name
    assert second.short_answer == "通过国家医保服务平台或窗口办理异地就医备案。"
    assert second.alt_question_list() == ["去外地看病医保能报销吗"]
    assert "<strong>网上备案</strong>" in second.answer
    assert '<a href="https://fuwu.nhsa.gov.cn">国家医保服务平台</a>' in second.answer
    for gone in ("script", "alert", "onclick", "javascript", "<table", "<td", "<a>"):
        assert gone not in second.answer
    assert "点这里" in second.answer  # an unsafe link keeps its text
    assert second.answer.endswith("<p>表格里的字</p>")  # disallowed tags go, their text stays, in a paragraph


def test_creates_department_and_policies(departments, jsonl_file):
    run("import_qa", jsonl_file)

    department = Department.objects.get(name="乌鲁木齐市教育局")
    assert department.code.startswith("dept-") and department.short_name == "乌鲁木齐市教育局"
    assert "待补充" in department.address and department.liaison_name == "待补充"
    department.full_clean()
    assert department.editors_group is not None and department.policy_index is not None

    current = PolicyDocumentPage.objects.get(doc_number="乌政办〔2021〕83号")
    assert current.live and current.validity == Validity.CURRENT
    assert current.get_parent().specific.department == departments["rsj"]
    assert current.drafting_department == departments["rsj"]
    assert current.publish_date == current.written_date == datetime.date(2021, 6, 1)
    assert not current.must_interpret and current.no_interpretation_reason == "由知识库导入"

    repealed = PolicyDocumentPage.objects.get(doc_number="乌教发〔2015〕3号")
    assert repealed.live and repealed.validity == Validity.REPEALED
    assert repealed.repeal_basis == "导入：已废止"
    assert repealed.drafting_department == department
    assert repealed.publish_date == datetime.date(2015, 3, 1)
    assert QAEntry.objects.get(external_id="QA-003").policy == repealed


def test_second_run_is_idempotent_and_a_changed_answer_updates(departments, jsonl_file, tmp_path):
    run("import_qa", jsonl_file)
    revisions = {e.external_id: e.revisions.count() for e in QAEntry.objects.all()}

    out, _ = run("import_qa", jsonl_file)
    assert "新增 0，更新 0，未变 3，出错 5" in out
    assert "新建" not in out
    assert {e.external_id: e.revisions.count() for e in QAEntry.objects.all()} == revisions
    assert PolicyDocumentPage.objects.count() == 2 and Department.objects.count() == 3

    lines = jsonl_file.read_text(encoding="utf-8").splitlines()
    row = json.loads(lines[0])
    row["answer"] = "灵活就业人员可以按月或按季缴纳基本养老保险费。\n缴费基数在当地规定的范围内自选。"
    lines[0] = json.dumps(row, ensure_ascii=False)
    changed = tmp_path / "changed.jsonl"
    changed.write_text("\n".join(lines) + "\n", encoding="utf-8")

    out, _ = run("import_qa", changed)
    assert "新增 0，更新 1，未变 2，出错 5" in out
    entry = QAEntry.objects.get(external_id="QA-001")
    assert entry.revisions.count() == revisions["QA-001"] + 1
    assert entry.live and not entry.has_unpublished_changes
    assert entry.live_revision_id == entry.latest_revision_id
    assert "按月或按季" in entry.answer and entry.short_answer == "灵活就业人员可以按月或按季缴纳基本养老保险费。"


def test_import_replaces_an_editors_unpublished_draft(departments, tmp_path):
    path = write_jsonl(tmp_path / "qa.jsonl", [qa("A")])
    run("import_qa", path)
    entry = QAEntry.objects.get(external_id="A")
    entry.short_answer = "编辑在后台改了口径，还没发布。"
    entry.save_revision()

    write_jsonl(path, [qa("A", short_answer="知识库里的新口径。")])
    out, _ = run("import_qa", path)
    assert "更新 1" in out and "未发布的修改，已被导入的内容取代" in out
    entry.refresh_from_db()
    assert entry.live and not entry.has_unpublished_changes and entry.short_answer == "知识库里的新口径。"


def test_progress_every_thousand_rows_on_stderr(departments, tmp_path, monkeypatch):
    from search.management.commands import import_qa

    monkeypatch.setattr(import_qa, "PROGRESS_EVERY", 2)
    out, err = StringIO(), StringIO()
    call_command("import_qa", str(write_jsonl(tmp_path / "qa.jsonl", [qa("A"), qa("B"), qa("C"), qa("D")])),
                 stdout=out, stderr=err)
    assert err.getvalue().splitlines() == ["已处理 2 行（新增 2，更新 0，未变 0，出错 0）",
                                           "已处理 4 行（新增 4，更新 0，未变 0，出错 0）"]
    assert "已处理" not in out.getvalue()


def test_dry_run_stores_nothing(departments, jsonl_file):
    out, error = run("import_qa", jsonl_file, "--dry-run")
    assert "试运行（未保存任何修改）：新增 3，更新 0，未变 0，出错 5" in out
    assert error.returncode == 1
    assert not QAEntry.objects.exists()
    assert not PolicyDocumentPage.objects.exists()
    assert not Department.objects.filter(name="乌鲁木齐市教育局").exists()


def test_all_good_rows_exit_normally(departments, tmp_path):
    out, error = run("import_qa", write_jsonl(tmp_path / "ok.jsonl", [qa("A"), qa("B")]))
    assert error is None
    assert out.strip().endswith("导入完成：新增 2，更新 0，未变 0，出错 0")


def test_duplicate_ids_and_unknown_department_codes(departments, tmp_path):
    out, _ = run("import_qa", write_jsonl(tmp_path / "dup.jsonl", [qa("A"), qa("A"), qa("B", department="jyj")]))
    assert "第 2 行（A）：外部编号与第 1 行重复" in out
    assert "第 3 行（B）：找不到部门代码“jyj”" in out
    assert "新增 1，更新 0，未变 0，出错 2" in out


def test_offline_entry_stays_offline(departments, tmp_path):
    path = write_jsonl(tmp_path / "qa.jsonl", [qa("A")])
    run("import_qa", path)
    entry = QAEntry.objects.get(external_id="A")
    entry.unpublish()

    out, _ = run("import_qa", path)
    assert "未变 1" in out and "保持下线" in out
    write_jsonl(path, [qa("A", answer=ANSWER + "\n另：可以按季缴费。")])
    out, _ = run("import_qa", path)
    assert "更新 1" in out and "保存为草稿" in out
    entry.refresh_from_db()
    assert not entry.live and entry.has_unpublished_changes
    assert "按季" in entry.get_latest_revision_as_object().answer
    out, _ = run("import_qa", path)  # the draft is the entry's content now: nothing more to do
    assert "未变 1" in out


def test_unpublish_missing(departments, tmp_path):
    run("import_qa", write_jsonl(tmp_path / "all.jsonl", [qa("A"), qa("B")]))
    manual = QAEntryFactory(department=departments["rsj"], external_id=None)

    out, _ = run("import_qa", write_jsonl(tmp_path / "some.jsonl", [qa("A"), "{bad"]), "--unpublish-missing")
    assert "未执行 --unpublish-missing" in out
    assert QAEntry.objects.get(external_id="B").live

    out, error = run("import_qa", write_jsonl(tmp_path / "some.jsonl", [qa("A")]), "--unpublish-missing")
    assert error is None and "下线 1" in out
    assert not QAEntry.objects.get(external_id="B").live
    assert QAEntry.objects.get(external_id="A").live
    manual.refresh_from_db()
    assert manual.live  # entries made by hand are never touched


# --- CSV -------------------------------------------------------------------------------------------
def test_csv(departments, tmp_path):
    existing = live_policy(departments["rsj"].policy_index, title="乌鲁木齐市就业补助资金管理办法",
                           doc_number="乌人社发〔2022〕5号")
    by_title = live_policy(departments["ybj"].policy_index, title="乌鲁木齐市异地就医结算办法", doc_number="")
    path = write_csv(tmp_path / "qa.csv", [
        {"external_id": "C1", "question": "就业补助怎么申请？", "answer": "第一段：向区人社局提交申请表。\n\n第二段：审核后十五个工作日内拨付。",
         "department": "乌鲁木齐市人力资源和社会保障局", "topics": "就业;补贴；就业", "alt_questions": "补贴去哪领;就业补助找谁",
         "policy_doc_number": "乌人社发〔2022〕5号", "policy_status": "现行有效"},
        {"external_id": "C2", "question": "异地就医怎么结算？", "answer": "在备案地定点医院看病可以直接结算，不用先垫付。",
         "department": "ybj", "policy_title": "乌鲁木齐市异地就医结算办法"},
        {"external_id": "C3", "question": "缺部门", "answer": "这一行没有填写答复部门，应当报错。", "department": ""},
        {"external_id": "C4", "question": "状态不对", "answer": "这一行的政策效力状态无法识别，应当报错。", "department": "rsj",
         "policy_title": "某办法", "policy_status": "废了", "policy_issued": "2020-01-01"},
    ])

    out, error = run("import_qa", path)

    # C1 spans lines 2-4 of the file (a quoted answer with a blank line), so C3 is the record on line 6.
    assert "第 6 行（C3）：缺少答复部门（department）" in out
    assert "第 7 行（C4）：未知的政策效力状态“废了”" in out
    assert "新增 2，更新 0，未变 0，出错 2" in out and error.returncode == 1
    assert PolicyDocumentPage.objects.count() == 2  # both found, none created
    c1 = QAEntry.objects.get(external_id="C1")
    assert c1.department == departments["rsj"]  # by full name
    assert c1.policy == existing
    assert sorted(c1.topics.names()) == ["就业", "补贴"]
    assert c1.alt_question_list() == ["补贴去哪领", "就业补助找谁"]
    assert c1.answer == "<p>第一段：向区人社局提交申请表。</p><p>第二段：审核后十五个工作日内拨付。</p>"
    assert QAEntry.objects.get(external_id="C2").policy == by_title

    out, _ = run("import_qa", path)
    assert "新增 0，更新 0，未变 2，出错 2" in out


def test_csv_saved_by_chinese_excel(departments, tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes(("external_id,question,answer,department\n"
                      "G1,社保卡丢了怎么办？,携带身份证到社保卡服务网点挂失补办，也可以在手机上挂失。,rsj\n").encode("gb18030"))
    out, error = run("import_qa", path)
    assert error is None and "新增 1" in out
    assert QAEntry.objects.get(external_id="G1").question == "社保卡丢了怎么办？"


def test_file_level_errors(departments, tmp_path):
    no_columns = tmp_path / "cols.csv"
    no_columns.write_text("id,title\n1,x\n", encoding="utf-8")
    _, error = run("import_qa", no_columns)
    assert error.returncode == 2 and "external_id" in str(error)
    unknown = tmp_path / "qa.txt"
    unknown.write_text("x", encoding="utf-8")
    _, error = run("import_qa", unknown)
    assert error.returncode == 2 and "--format" in str(error)
    not_xlsx = tmp_path / "fake.xlsx"
    not_xlsx.write_text("not a workbook", encoding="utf-8")
    _, error = run("import_qa", not_xlsx)
    assert error.returncode == 2


# --- XLSX ------------------------------------------------------------------------------------------
def test_xlsx(departments, tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(CSV_HEADER)
    sheet.append([1001, "失业保险金怎么领？", "<p>失业后60日内到户籍地或参保地经办机构申领。</p><ul><li>身份证</li><li>离职证明</li></ul>",
                  "市人社局", "失业保险", None, None, "P-9", "乌鲁木齐市失业保险金申领办法", "乌人社发〔2019〕9号", "amended",
                  datetime.datetime(2019, 4, 2)])
    sheet.append([1002, "文号错误", "这一行的文号格式不对，应当报错并给出行号。", "rsj", None, None, None, None, "某办法",
                  "乌人社发2019-9", "current", "2019-04-02"])
    sheet.append([])  # a blank row is skipped, the numbering keeps Excel's rows
    sheet.append([1003, "旧的稳岗补贴还能申请吗？", "该补贴已经停止执行，请关注新出台的援企稳岗政策。", "rsj", "就业;补贴", None, None,
                  None, "乌鲁木齐市稳岗补贴暂行办法", "乌人社发〔2016〕2号", "已失效", "2016/05/10"])
    path = tmp_path / "qa.xlsx"
    workbook.save(path)

    out, error = run("import_qa", path)

    assert "第 3 行（1002）：政策文号“乌人社发2019-9”格式不正确" in out
    assert "新增 2，更新 0，未变 0，出错 1" in out and error.returncode == 1
    assert "标注为已修改" in out
    entry = QAEntry.objects.get(external_id="1001")  # Excel's number 1001, not "1001.0"
    assert entry.department == departments["rsj"]
    assert entry.answer.endswith("<ul><li>身份证</li><li>离职证明</li></ul>")
    assert entry.short_answer == "失业后60日内到户籍地或参保地经办机构申领。"
    amended = entry.policy
    assert amended.publish_date == datetime.date(2019, 4, 2)
    assert amended.validity == Validity.CURRENT and "已修改" in amended.summary  # only a chain makes it 已修改
    expired = QAEntry.objects.get(external_id="1003").policy
    assert expired.validity == Validity.EXPIRED and expired.expiry_date < datetime.date.today()

    out, _ = run("import_qa", path)
    assert "新增 0，更新 0，未变 2，出错 1" in out


# --- synonyms --------------------------------------------------------------------------------------
def test_import_synonyms(db, tmp_path):
    SynonymGroupFactory(terms="社保,社会保险")
    SynonymGroupFactory(terms="公积金,住房公积金")
    path = tmp_path / "synonyms.txt"
    path.write_text(
        "# 热线同义词\n"
        "\n"
        "社会保险，养老保险  # 与已有的“社保”组合并\n"
        "医保、基本医疗保险,医疗保险\n"
        "医疗保险,看病报销\n"        # shares a term with the line above: one group
        "孤零零\n"
        "公积金,住房公积金\n",
        encoding="utf-8")

    out, error = run("import_synonyms", path)

    assert "第 6 行：一组同义词至少要有两个词" in out
    assert "新增 1，更新 1，未变 1，合并 0，删除 0，出错 1" in out
    assert error.returncode == 1
    assert sorted(SynonymGroup.objects.values_list("terms", flat=True)) == [
        "公积金,住房公积金", "医保,基本医疗保险,医疗保险,看病报销", "社保,社会保险,养老保险"]

    out, _ = run("import_synonyms", path)
    assert "新增 0，更新 0，未变 3" in out


def test_import_synonyms_merges_stored_groups(db, tmp_path):
    kept = SynonymGroupFactory(terms="社保,社会保险")
    SynonymGroupFactory(terms="养老保险,养老金")
    path = tmp_path / "s.txt"
    path.write_text("社会保险,养老保险\n", encoding="utf-8")
    out, error = run("import_synonyms", path)
    assert error is None and "更新 1，未变 0，合并 1" in out
    assert list(SynonymGroup.objects.values_list("pk", "terms")) == [(kept.pk, "社保,社会保险,养老保险,养老金")]


def test_import_synonyms_replace(db, tmp_path):
    SynonymGroupFactory(terms="社保,社会保险")
    SynonymGroupFactory(terms="户口,户籍")
    path = tmp_path / "s.txt"
    path.write_text("社保,社会保险\n孩子上学,义务教育入学\n", encoding="utf-8")
    out, error = run("import_synonyms", path, "--replace")
    assert error is None and "新增 1，更新 0，未变 1，合并 0，删除 1，出错 0" in out
    assert sorted(SynonymGroup.objects.values_list("terms", flat=True)) == ["孩子上学,义务教育入学", "社保,社会保险"]

    path.write_text("社保,社会保险\n坏行\n", encoding="utf-8")
    out, error = run("import_synonyms", path, "--replace")
    assert "第 2 行" in out and "不做任何修改" in out and error.returncode == 1
    assert SynonymGroup.objects.count() == 2  # a bad file deletes nothing

"""`manage.py generate_opinions`: a realistic opinion data set at the seed's scale, for load and UI work.

    manage.py generate_opinions --consultation yanglao --opinions 75899 --participants 10246
    manage.py generate_opinions --consultation 42 --opinions 500 --participants 100 --seed 2 --replace

Texts, people, campaigns (联名信), moderation states, decisions, replies and questionnaire answers come
from consultations.scale (deterministic for a given --seed and consultation time window). Each opinion
gets what consultations.submission gives a real one: public_text with personal data masked and the
site's sensitive words applied, the fingerprint, duplicate_group = the first opinion with the same
fingerprint, and receipt_number YJ-<local date>-<pk:06d>.

Rows are written in batches (--batch-size, default 5,000), one transaction per batch, and each batch is
complete when it commits (no opinion without its receipt is ever visible; the site can keep taking real
submissions meanwhile: on SQLite no write lock is held longer than one batch):

* SQLite: executemany INSERT, then two UPDATEs of the batch (duplicate_group via UPDATE … FROM a
  GROUP BY fingerprint; receipt_number via printf/strftime, or the ORM expression when the batch spans
  a change of UTC offset);
* PostgreSQL: ids drawn from the table's sequence first, so the rows are COPYed complete (no UPDATE
  rewriting every row twice), then VACUUM ANALYZE (as autovacuum would do shortly after);
* --method orm: Model.objects.bulk_create and the same two UPDATEs, on either database (slower; kept
  for comparison).

75,899 opinions / 10,246 participants on this machine, idle: about 28 s on SQLite, 29 s on PostgreSQL
(bulk_create: about 1.5× slower). Refuses to touch a consultation that already has opinions unless
--replace is given (which deletes them, with their answers, attachment rows and notifications, first).
"""
import datetime
import sqlite3
import time
from types import SimpleNamespace

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Case, CharField, Value, When
from django.db.models.functions import Cast, Concat, ExtractDay, ExtractMonth, ExtractYear, LPad
from django.utils import timezone

from consultations.models import (
    ConsultationPage,
    ModerationStatus,
    Opinion,
    OpinionAttachment,
    QuestionAnswer,
    ResultNotification,
    SensitiveWord,
)
from consultations.privacy import mask_personal_data
from consultations.scale import plan_opinions, shape_from_page
from consultations.submission import fingerprint, receipt_number, sensitive_words

DEFAULT_OPINIONS = 75_899
DEFAULT_PARTICIPANTS = 10_246


def apply_words(text, words):
    """consultations.submission.apply_sensitive_words with the word list passed in (read once per batch
    instead of once per opinion): MASK words are starred, HOLD words send the opinion to a person."""
    hits, hold = [], False
    for word, action in words:
        if word and word in text:
            hits.append(word)
            if action == SensitiveWord.Action.MASK:
                text = text.replace(word, "＊" * len(word))
            else:
                hold = True
    return text, hits, hold


def insert_many(model, names, rows):
    """INSERT rows (dicts keyed by attribute name): executemany, or COPY on PostgreSQL; each value prepared by
    its field (aware datetimes → the backend's format, lists → JSON)."""
    fields = [model._meta.get_field(name) for name in names]  # by name or attname (consultation_id)
    qn = connection.ops.quote_name
    sql = (f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
           f"VALUES ({', '.join(['%s'] * len(fields))})")
    plain = (str, int, type(None))
    utc = datetime.UTC

    def prepare(field, value):
        if isinstance(value, plain):
            return value
        if connection.vendor == "sqlite" and isinstance(value, datetime.datetime) and value.tzinfo:
            return str(value.astimezone(utc).replace(tzinfo=None))  # = adapt_datetimefield_value, 10× cheaper
        return field.get_db_prep_save(value, connection)

    prepared = [[prepare(field, row[name]) for field, name in zip(fields, names, strict=True)] for row in rows]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY: one stream instead of one INSERT per row (measured: half the time of executemany here).
            columns = ", ".join(qn(f.column) for f in fields)
            with cursor.cursor.copy(f"COPY {qn(model._meta.db_table)} ({columns}) FROM STDIN") as copy:
                for row in prepared:
                    copy.write_row(row)
        else:
            cursor.executemany(sql, prepared)


def reserve_ids(model, count):
    """PostgreSQL: ``count`` primary keys from the table's own sequence, ascending, never used by anyone else."""
    table, column = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s) ORDER BY 1",
                       [table, column, count])
        return [row[0] for row in cursor.fetchall()]


def receipt_expression():
    """YJ-YYYYMMDD-{pk:06d} in SQL, the local date as consultations.submission.receipt_number has it
    (Django's Extract* convert to the current time zone on every backend)."""
    def two(expr):
        return LPad(Cast(expr, CharField()), 2, Value("0"))

    pk_text = Cast("pk", CharField())
    padded = Case(When(pk__lt=10**6, then=LPad(pk_text, 6, Value("0"))), default=pk_text, output_field=CharField())
    return Concat(Value("YJ-"), Cast(ExtractYear("submitted_at"), CharField()), two(ExtractMonth("submitted_at")),
                  two(ExtractDay("submitted_at")), Value("-"), padded, output_field=CharField())


def set_receipts(page, rows):
    """receipt_number for the batch in flight (receipt_number IS NULL), in one UPDATE.

    SQLite: printf/strftime on the stored UTC text shifted by the local UTC offset, when that offset is
    the same for every row of the batch (always for Asia/Shanghai); otherwise, and on PostgreSQL, the
    ORM expression (Extract* in the current time zone, AT TIME ZONE on PostgreSQL)."""
    in_flight = Opinion.objects.filter(consultation=page, receipt_number__isnull=True)
    offsets = {timezone.localtime(row.submitted_at).utcoffset() for row in rows}
    if connection.vendor == "sqlite" and len(offsets) == 1:
        minutes = int(offsets.pop().total_seconds() // 60)
        qn = connection.ops.quote_name
        col = {name: qn(Opinion._meta.get_field(name).column)
               for name in ("id", "consultation", "receipt_number", "submitted_at")}
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {qn(Opinion._meta.db_table)} SET {col['receipt_number']} = "
                f"printf('YJ-%%s-%%06d', strftime('%%Y%%m%%d', {col['submitted_at']}, '{minutes:+d} minutes'), {col['id']}) "
                f"WHERE {col['consultation']} = %s AND {col['receipt_number']} IS NULL", [page.pk])
        return
    in_flight.update(receipt_number=receipt_expression())


def link_duplicates(consultation_id):
    """duplicate_group = the first opinion (lowest pk) with the same fingerprint, for the rows of the
    batch in flight (receipt_number still NULL): one UPDATE."""
    qn = connection.ops.quote_name
    table = qn(Opinion._meta.db_table)
    col = {name: qn(Opinion._meta.get_field(name).column)
           for name in ("id", "consultation", "fingerprint", "duplicate_group", "receipt_number")}
    leaders = (f"SELECT {col['fingerprint']} AS fp, MIN({col['id']}) AS leader FROM {table} "
               f"WHERE {col['consultation']} = %s AND {col['fingerprint']} IN (SELECT {col['fingerprint']} "
               f"FROM {table} WHERE {col['consultation']} = %s AND {col['receipt_number']} IS NULL) "
               f"GROUP BY {col['fingerprint']}")
    in_flight = f"{table}.{col['consultation']} = %s AND {table}.{col['receipt_number']} IS NULL"
    if connection.vendor == "sqlite" and sqlite3.sqlite_version_info < (3, 33):
        sql = (f"UPDATE {table} SET {col['duplicate_group']} = (SELECT MIN(o2.{col['id']}) FROM {table} o2 "
               f"WHERE o2.{col['consultation']} = %s AND o2.{col['fingerprint']} = {table}.{col['fingerprint']}) "
               f"WHERE {in_flight} AND {table}.{col['id']} > (SELECT MIN(o3.{col['id']}) FROM {table} o3 "
               f"WHERE o3.{col['consultation']} = %s AND o3.{col['fingerprint']} = {table}.{col['fingerprint']})")
        params = [consultation_id, consultation_id, consultation_id]
    else:  # PostgreSQL, SQLite ≥ 3.33
        sql = (f"UPDATE {table} SET {col['duplicate_group']} = g.leader FROM ({leaders}) AS g "
               f"WHERE {in_flight} AND {table}.{col['fingerprint']} = g.fp AND {table}.{col['id']} <> g.leader")
        params = [consultation_id, consultation_id, consultation_id]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def plain(message):
    return message


class ProgressBar:
    """[#####     ]  40% 30,000/75,899 on stderr: rewritten in place on a terminal, one line per step otherwise."""

    def __init__(self, stream, total, width=30, enabled=True):
        self.stream, self.total, self.width, self.enabled = stream, total, width, enabled
        self.tty = enabled and stream.isatty()
        self.started = time.monotonic()

    def update(self, done):
        if not self.enabled:
            return
        fraction = done / self.total if self.total else 1.0
        filled = int(self.width * fraction)
        elapsed = time.monotonic() - self.started
        rate = done / elapsed if elapsed > 0 else 0
        line = (f"[{'#' * filled}{' ' * (self.width - filled)}] {fraction:4.0%} {done:,}/{self.total:,} "
                f"· {elapsed:.1f} s · {rate:,.0f}/s")
        self.stream.write(("\r" + line + "\033[K") if self.tty else line + "\n", style_func=plain, ending="")
        self.stream.flush()

    def finish(self):
        if self.enabled and self.tty:
            self.stream.write("\n", style_func=plain, ending="")
            self.stream.flush()


class Command(BaseCommand):
    help = "为一个意见征集生成仿真意见数据（默认 75,899 条意见、10,246 名参与者）/ generate a realistic opinion data set"

    def add_arguments(self, parser):
        parser.add_argument("--consultation", required=True, help="意见征集页面的 id 或 slug / page id or slug")
        parser.add_argument("--opinions", type=int, default=DEFAULT_OPINIONS)
        parser.add_argument("--participants", type=int, default=DEFAULT_PARTICIPANTS)
        parser.add_argument("--seed", type=int, default=1, help="随机种子：相同参数生成相同数据 (default 1)")
        parser.add_argument("--duplicates-share", type=float, default=0.15,
                            help="联名信（相同或几乎相同的意见）所占比例 (default 0.15)")
        parser.add_argument("--decided-share", type=float, default=0.6, help="已给出处理结果和答复的比例 (default 0.6)")
        parser.add_argument("--batch-size", type=int, default=5000)
        parser.add_argument("--replace", action="store_true", help="先删除该意见征集已有的全部意见 / delete existing opinions first")
        parser.add_argument("--no-progress", action="store_true", help="不显示进度条")
        parser.add_argument("--method", choices=["sql", "orm"], default="sql",
                            help="sql (default): executemany INSERT on SQLite, COPY on PostgreSQL; orm: bulk_create (slower)")

    def handle(self, *args, **options):
        page = self.find_consultation(options["consultation"])
        opinions, participants = options["opinions"], options["participants"]
        if participants < 1 or opinions < participants:
            raise CommandError("--opinions 必须不少于 --participants，且 --participants 至少为 1。")
        if not 0 <= options["duplicates_share"] < 1 or not 0 <= options["decided_share"] <= 1:
            raise CommandError("--duplicates-share 取值 [0, 1)，--decided-share 取值 [0, 1]。")
        if options["batch_size"] < 1:
            raise CommandError("--batch-size 至少为 1。")

        existing = Opinion.objects.filter(consultation=page).count()
        if existing and not options["replace"]:
            raise CommandError(f"《{page.title}》（id {page.pk}）已有 {existing:,} 条意见，未做任何修改。"
                               "如需删除后重新生成，请加 --replace。")
        started, cpu_started = time.monotonic(), time.process_time()
        if existing:
            self.delete_existing(page, existing)

        now = timezone.now()
        shape = shape_from_page(page, now)
        self.stderr.write(f"规划 planning {opinions:,} 条意见 / {participants:,} 名参与者 (seed {options['seed']}) …", style_func=plain)
        plan = plan_opinions(shape, opinions, participants, seed=options["seed"],
                             duplicates_share=options["duplicates_share"], decided_share=options["decided_share"])
        planned = time.monotonic()

        bar = ProgressBar(self.stderr, opinions, enabled=not options["no_progress"] and options["verbosity"] > 0)
        bar.update(0)
        done = answers = linked = 0
        self.leaders = {}  # fingerprint → first opinion (PostgreSQL path)
        size = options["batch_size"]
        write = self.write_orm if options["method"] == "orm" else self.write_sql
        for start in range(0, opinions, size):
            rows = plan.rows[start:start + size]
            with transaction.atomic():
                words = sensitive_words()  # the site's list, read once per batch
                batch_answers, batch_linked = write(page, rows, words)
            answers += batch_answers
            linked += batch_linked
            done += len(rows)
            bar.update(done)
        bar.finish()
        if connection.vendor == "postgresql":
            # What autovacuum would do soon after a bulk load: planner statistics, and the visibility map that
            # lets COUNT/GROUP BY on the (consultation, …) indexes be index-only scans (measured: COUNT 45 → 6 ms,
            # DISTINCT category 60 → 13 ms at 75,899 rows). VACUUM cannot run inside a transaction (tests).
            command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
            with connection.cursor() as cursor:
                for model in (Opinion, QuestionAnswer):
                    cursor.execute(f"{command} {connection.ops.quote_name(model._meta.db_table)}")
        finished = time.monotonic()

        groups = (Opinion.objects.filter(consultation=page).exclude(duplicate_group=None)
                  .values("duplicate_group").distinct().count())
        self.stdout.write(
            f"《{page.title}》：已生成 {done:,} 条意见、{participants:,} 名参与者、{answers:,} 条问卷回答；"
            f"联名信 {plan.campaigns:,} 组，相同意见组 {groups:,} 个（{linked:,} 条意见归入组内）。"
            f"用时 {finished - started:.1f} s（规划 {planned - started:.1f} s，写入 {finished - planned:.1f} s；"
            f"CPU {time.process_time() - cpu_started:.1f} s）。")

    def find_consultation(self, value):
        pages = ConsultationPage.objects.all()
        matches = list(pages.filter(pk=int(value))) if value.isdigit() else []
        if not matches:
            matches = list(pages.filter(slug=value))
        if not matches:
            raise CommandError(f"找不到意见征集：{value}（请给出页面 id 或 slug）。")
        if len(matches) > 1:
            ids = "、".join(str(p.pk) for p in matches)
            raise CommandError(f"有多个意见征集的 slug 是 {value}（id {ids}），请改用页面 id。")
        return matches[0]

    def delete_existing(self, page, existing):
        with transaction.atomic():
            opinions = Opinion.objects.filter(consultation=page)
            files = OpinionAttachment.objects.filter(opinion__consultation=page).count()
            ResultNotification.objects.filter(opinion__consultation=page).delete()
            OpinionAttachment.objects.filter(opinion__consultation=page).delete()
            QuestionAnswer.objects.filter(consultation=page).delete()
            opinions.update(duplicate_group=None)
            opinions.delete()
        note = f"（含 {files} 个附件记录；附件文件仍在私有存储中）" if files else ""
        self.stderr.write(f"已删除《{page.title}》原有的 {existing:,} 条意见{note}。", style_func=plain)

    # --- writing one batch (inside its transaction) ---------------------------------------------------
    @staticmethod
    def values(page, row, words):
        """The column values of one opinion, as consultations.submission.submit_opinion would store them."""
        person = row.person
        public_text, hits, hold = apply_words(mask_personal_data(row.text), words)
        status = row.moderation_status
        if hold and status == ModerationStatus.PENDING:
            status = ModerationStatus.HELD  # the site's own sensitive words, as on a real submission
        return {
            "consultation_id": page.pk, "idempotency_key": row.idempotency_key, "submitted_at": row.submitted_at,
            "name": person.name, "phone": person.phone, "email": person.email, "client_hash": person.client_hash,
            "category": row.category, "clause_number": row.clause_number, "text": row.text,
            "public_text": public_text, "sensitive_words": list(dict.fromkeys(row.sensitive_words + hits)),
            "fingerprint": fingerprint(row.text), "moderation_status": status, "decision": row.decision,
            "reply": row.reply, "decided_at": row.decided_at,
        }

    def write_orm(self, page, rows, words):
        """Model.objects.bulk_create, then the two UPDATEs (duplicate groups, receipts) of the batch."""
        objects = [Opinion(**self.values(page, row, words)) for row in rows]
        Opinion.objects.bulk_create(objects)
        answers = [QuestionAnswer(opinion_id=obj.pk, consultation_id=page.pk, **answer)
                   for obj, row in zip(objects, rows, strict=True) for answer in row.answers]
        QuestionAnswer.objects.bulk_create(answers)
        linked = link_duplicates(page.pk)
        set_receipts(page, rows)
        return len(answers), linked

    def write_sql(self, page, rows, words):
        """The same rows as bulk_create, without building model instances or compiling an INSERT per 999
        parameters: executemany on SQLite, COPY on PostgreSQL; values adapted by the fields themselves.

        SQLite: insert, read the new ids back by form token, then the two UPDATEs of the batch.
        PostgreSQL: the ids are drawn from the table's sequence first (nextval, as INSERT would), so
        receipt_number (consultations.submission.receipt_number itself) and duplicate_group are
        written with the row: no UPDATE rewrites 75,899 wide rows and their indexes twice."""
        values = [self.values(page, row, words) for row in rows]
        linked = 0
        if connection.vendor == "postgresql":
            ids = reserve_ids(Opinion, len(values))
            for pk, value in zip(ids, values, strict=True):
                leader = self.leaders.setdefault(value["fingerprint"], pk)
                value.update(id=pk, duplicate_group_id=leader if leader != pk else None,
                             receipt_number=receipt_number(SimpleNamespace(pk=pk, submitted_at=value["submitted_at"])))
                linked += leader != pk
            insert_many(Opinion, list(values[0]), values)
            by_token = {value["idempotency_key"]: value["id"] for value in values}
        else:
            insert_many(Opinion, list(values[0]), values)
            by_token = dict(Opinion.objects.filter(consultation=page, receipt_number__isnull=True)
                            .values_list("idempotency_key", "pk"))
        answers = [{"opinion_id": by_token[row.idempotency_key], "consultation_id": page.pk, "question_id": "",
                    "choice": "", "rating": None, "text": "", **answer} for row in rows for answer in row.answers]
        if answers:
            insert_many(QuestionAnswer, list(answers[0]), answers)
        if connection.vendor != "postgresql":
            linked = link_duplicates(page.pk)
            set_receipts(page, rows)
        return len(answers), linked

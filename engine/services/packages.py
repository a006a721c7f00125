"""Transfer packages (移送材料): a PDF of the documents and a ZIP of it plus every evidence file.

The PDF holds the transfer letter (涉嫌犯罪案件移送书), the case report, the evidence list
with the SHA-256 of each file, and the inspection/appraisal reports listed. The ZIP adds
the files themselves and a manifest.json with every entry's hash, so the receiving body
can check each file. Both are stored under settings.upload_dir and recorded with their
hashes (a rolled-back step leaves an unreferenced file behind, never a row without a file).
"""
from __future__ import annotations

import hashlib
import io
import json
import uuid
import zipfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.models import Case, EvidenceFile, HumanTask, TransferPackage, User
from engine.services import audit, evidence

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
# Debian fonts-wqy-zenhei (installed by `make`); without it, a CJK font the PDF reader supplies.
EMBEDDED_FONTS = [Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
                  Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")]
REPORT_KINDS = {"inspection_report": "检验报告", "appraisal_report": "鉴定报告"}
KIND_NAMES = {"evidence": "证据", "other": "其他材料", **REPORT_KINDS}
_FONT: str | None = None


def font_name() -> str:
    """Register a CJK font once: embedded when Debian's is installed, else STSong-Light (not embedded)."""
    global _FONT
    if _FONT is None:
        for path in EMBEDDED_FONTS:
            if path.is_file():
                pdfmetrics.registerFont(TTFont("IPCaseCJK", str(path), subfontIndex=0))
                _FONT = "IPCaseCJK"
                break
        else:
            pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
            _FONT = "STSong-Light"
    return _FONT


def sha256_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _latest_form(session: Session, case: Case, form_id: str) -> dict:
    return session.scalar(select(HumanTask.data).where(
        HumanTask.case_id == case.id, HumanTask.form_id == form_id, HumanTask.state == "completed")
        .order_by(HumanTask.id.desc()).limit(1)) or {}


def _local_date(value: datetime) -> str:
    return value.astimezone(LOCAL_TZ).strftime("%Y年%m月%d日")


def render_pdf(case: Case, data: dict, report: dict, files: list[EvidenceFile], now: datetime) -> bytes:
    font = font_name()
    title = ParagraphStyle("title", fontName=font, fontSize=18, leading=26, alignment=1, spaceAfter=12)
    heading = ParagraphStyle("heading", fontName=font, fontSize=14, leading=20, spaceBefore=10, spaceAfter=6)
    body = ParagraphStyle("body", fontName=font, fontSize=11, leading=17, wordWrap="CJK")
    small = ParagraphStyle("small", fontName=font, fontSize=7.5, leading=10, wordWrap="CJK")
    proposal = data.get("criminal_transfer_proposal") or {}
    approval = data.get("criminal_transfer_approval") or {}
    respondents = "、".join(p.name for p in case.parties if p.role.value == "respondent") or "—"
    filing = next((n.number for n in case.numbers if n.kind == "立"), case.number)

    def para(text, style=body):
        return Paragraph(_escape(str(text if text not in (None, "") else "—")), style)

    story = [
        para("涉嫌犯罪案件移送书", title),
        para(f"{case.unit.number_prefix}移〔{now.astimezone(LOCAL_TZ).year}〕 号（案件编号：{filing}）"),
        Spacer(1, 4 * mm),
        para(f"{proposal.get('police_body') or '公安机关'}："),
        para(f"我局在办理{respondents}{case.title}一案中，发现其涉嫌{proposal.get('suspected_offence') or '犯罪'}，"
             f"依据《行政执法机关移送涉嫌犯罪案件的规定》第三条之规定，现将该案移送你局审查。"),
        para(f"移送理由：{proposal.get('reasons') or '—'}"),
        para(f"承办人员：{proposal.get('officer_1') or '—'}、{proposal.get('officer_2') or '—'}"),
        para(f"负责人审批：{'同意移送' if approval.get('decision') == 'approve' else approval.get('decision', '—')}"
             f"（{approval.get('opinion') or '—'}）"),
        para(f"附件：案件调查报告；涉案物品及证据清单（{len(files)}项，含SHA-256校验值）；检验、鉴定报告。"),
        Spacer(1, 8 * mm),
        para(f"{case.unit.name}", ParagraphStyle("sign", parent=body, alignment=2)),
        para(_local_date(now), ParagraphStyle("date", parent=body, alignment=2)),
        PageBreak(),
        para("案件调查报告", heading),
        para(f"案件编号：{case.number}；立案号：{filing}；案由：{case.title}"),
        para(f"当事人：{respondents}"),
        para(f"违法事实：{report.get('facts')}"),
        para(f"证据索引：{report.get('evidence_index')}"),
        para(f"处理建议：{report.get('proposed_outcome_label') or report.get('proposed_outcome')}"),
        para("涉案物品及证据清单", heading),
    ]
    rows = [[para(h, small) for h in ("序号", "名称", "类别", "字节", "SHA-256")]]
    rows += [[para(i, small), para(f.filename, small), para(KIND_NAMES.get(f.kind, f.kind), small),
              para(f.size, small), para(f.sha256, small)] for i, f in enumerate(files, 1)]
    table = Table(rows, colWidths=[10 * mm, 45 * mm, 18 * mm, 15 * mm, 92 * mm], repeatRows=1)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [table, para("检验、鉴定报告", heading)]
    reports = [f for f in files if f.kind in REPORT_KINDS]
    story += [para(f"{REPORT_KINDS[f.kind]}：{f.filename}（SHA-256 {f.sha256}）") for f in reports] or [para("无")]
    appraisal = (_appraisal_text(data) or "").strip()
    if appraisal:
        story.append(para(f"检测、鉴定结论：{appraisal}"))
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, title=f"涉嫌犯罪案件移送书 {case.number}", author=case.unit.name,
                            leftMargin=15 * mm, rightMargin=15 * mm, topMargin=18 * mm, bottomMargin=18 * mm,
                            invariant=1)
    doc.build(story)
    return buffer.getvalue()


def _option_label(workflows_dir: Path, form_id: str, field: str, value) -> str | None:
    """The Chinese label of a select's value, as the form shows it."""
    path = workflows_dir / "forms" / f"{form_id}.json"
    if value is None or not path.is_file():
        return None
    raw = json.loads(path.read_text(encoding="utf-8"))
    options = next((f.get("options", []) for f in raw["fields"] if f["name"] == field), [])
    return next((o["label"]["zh"] for o in options if o["value"] == value), None)


def _appraisal_text(data: dict) -> str | None:
    return (data.get("investigation") or {}).get("appraisal_result")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def build(settings, session: Session, case: Case, *, kind: str, instance_id: int | None, data: dict, actor: User | None,
          now: datetime) -> TransferPackage:
    """Render, zip, store and record the package of a criminal transfer."""
    files = evidence.files_of(session, case)
    report = dict(_latest_form(session, case, "investigation_report"))
    report["proposed_outcome_label"] = _option_label(settings.workflows_dir, "investigation_report",
                                                     "proposed_outcome", report.get("proposed_outcome"))
    data = {**data, "investigation": data.get("investigation") or _latest_form(session, case, "investigation")}
    pdf = render_pdf(case, data, report, files, now)
    manifest = [{"name": "移送书及案件材料.pdf", "kind": "documents", "size": len(pdf), "sha256": sha256_of(pdf)}]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        stamp = now.astimezone(LOCAL_TZ).timetuple()[:6]
        archive.writestr(zipfile.ZipInfo(manifest[0]["name"], stamp), pdf)
        for i, f in enumerate(files, 1):
            content = (settings.upload_dir / f.path).read_bytes()
            if sha256_of(content) != f.sha256:
                raise RuntimeError(f"evidence file {f.id} ({f.filename}) does not match its recorded SHA-256")
            name = f"evidence/{i:03d}_{f.filename}"
            archive.writestr(zipfile.ZipInfo(name, stamp), content)
            manifest.append({"name": name, "kind": f.kind, "size": f.size, "sha256": f.sha256, "evidence_id": f.id})
        archive.writestr(zipfile.ZipInfo("manifest.json", stamp),
                         json.dumps({"case": case.number, "files": manifest}, ensure_ascii=False, indent=2))
    archive_bytes = buffer.getvalue()
    folder = Path("packages") / str(case.id) / uuid.uuid4().hex
    (settings.upload_dir / folder).mkdir(parents=True, exist_ok=True)
    (settings.upload_dir / folder / "package.pdf").write_bytes(pdf)
    (settings.upload_dir / folder / "package.zip").write_bytes(archive_bytes)
    proposal = data.get("criminal_transfer_proposal") or {}
    package = TransferPackage(
        case_id=case.id, instance_id=instance_id, kind=kind, recipient=proposal.get("police_body"),
        pdf_path=str(folder / "package.pdf"), pdf_sha256=sha256_of(pdf),
        zip_path=str(folder / "package.zip"), zip_sha256=sha256_of(archive_bytes), manifest=manifest,
        created_by_id=actor.id if actor else None, created_at=now)
    session.add(package)
    session.flush()
    audit.record(session, at=now, action="transfer.package_built", actor=actor, case=case,
                 after={"package_id": package.id, "files": len(files), "zip_sha256": package.zip_sha256,
                        "pdf_sha256": package.pdf_sha256})
    return package

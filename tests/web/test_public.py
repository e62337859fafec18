"""The public pages and open data: five-part reports, nothing confidential, no drafts."""

from __future__ import annotations

import csv
import io

from tests.web.conftest import Visitor


def test_public_report_has_five_parts_and_hides_what_is_confidential(web, world):
    pid = world.new_proposal(title="川辺の事業", content="団体の独自の調査手法", estimated_cost_yen=123_456,
                             confidential_fields=["content", "estimated_cost_yen"])
    world.to_closed(pid)
    hidden = world.new_proposal(title="審査中の事業")
    world.to_under_review(hidden)
    world.new_proposal(title="下書きの事業")
    v = Visitor(web)
    listing = v.get("/public").text
    assert "川辺の事業" in listing and "審査中の事業" not in listing and "下書きの事業" not in listing
    page = v.get(f"/public/proposals/{pid}").text
    for part in ("1 協働契約の相手方", "2 事業費", "3 事業内容", "4 事業実績", "5 協働で事業を行った効果"):
        assert part in page
    assert "みどりの会" in page and "500,000円（委託）" in page and "目標を達成" in page
    assert "団体の独自の調査手法" not in page and "123,456" not in page
    assert v.get(f"/public/proposals/{hidden}").status_code == 404

    raw = v.get("/public/data.csv")
    assert raw.headers["content-type"].startswith("text/csv") and raw.text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(raw.text.lstrip("\ufeff"))))
    assert rows[0][:2] == ["事業ID", "事業名"] and len(rows) == 2
    assert "団体の独自の調査手法" not in raw.text and "審査中の事業" not in raw.text
    english = v.get("/public/data.csv?lang=en").text
    assert english.lstrip("\ufeff").startswith("id,title")
    data = v.get("/public/data.json").json()["projects"]
    assert len(data) == 1 and data[0]["content"] is None and data[0]["cost_yen"] == 500_000


def test_part_five_is_the_effect_each_side_wrote(web, world):
    from tests.support import EVAL

    pid = world.new_proposal(title="見守りの事業")
    world.to_evaluating(pid)
    world.do(pid, "submit_final_evaluation", "proposer", **EVAL, collaboration_effect="団体だけでは届かない世帯に届いた")
    world.do(pid, "submit_final_evaluation", "department", **EVAL)
    world.do(pid, "publish_final_evaluation", "secretariat")
    page = Visitor(web).get(f"/public/proposals/{pid}").text
    part5 = page[page.index("5 協働で事業を行った効果"):]
    assert "団体だけでは届かない世帯に届いた" in part5
    assert "適切" in part5  # the city wrote no effect: its assessment of the role sharing stands in

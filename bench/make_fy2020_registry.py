"""Writes ``tests/data/registry_fy2020.csv``: a registry file with the figures of the city's FY2020 report.

``python -m bench.make_fy2020_registry [--output PATH]``

The published report counts 203 collaboration projects (118 owned by ward offices, 85 by
bureaus) and 31 projects with an Article 12 contract, 77 contracts in all: city-initiated
(Art. 9) 27 projects / 73 contracts, citizen-proposed (Art. 10) 4 projects / 4 contracts.
The report gives the totals, not the rows, so the rows here are made up to add up to them:
the spread over the twelve fields, the names, partners and amounts are plausible, not the
city's. Deterministic (no randomness), so the committed file is what this script writes;
the tests read the committed file, not this script.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

from states.vocabulary import FIELDS
from workflow.registry.file_format import COLUMNS

TARGET = Path(__file__).resolve().parents[1] / "tests" / "data" / "registry_fy2020.csv"

WARDS = ("鶴見区", "神奈川区", "西区", "中区", "南区", "港南区", "保土ケ谷区", "旭区", "磯子区", "金沢区",
         "港北区", "緑区", "青葉区", "都筑区", "戸塚区", "栄区", "泉区", "瀬谷区")

# field: (ward projects, bureau projects); 118 and 85 in all.
SPREAD = {1: (28, 9), 2: (10, 12), 3: (18, 13), 4: (12, 10), 5: (16, 9), 6: (10, 10), 7: (2, 4), 8: (9, 5),
          9: (1, 3), 10: (3, 5), 11: (7, 2), 12: (2, 3)}

# field: (ward section, project stems, partner stems); a ward's name goes before both.
WARD_WORK = {
    1: ("地域振興課", ("地域の見守り拠点づくり", "自治会加入促進", "地域活動の担い手講座", "町内会の防災マップづくり",
                     "地区センターの協働運営", "地域交流サロン"), ("連合自治会町内会", "地域活動推進の会", "まちづくりフォーラム")),
    2: ("区政推進課", ("川辺の清掃と生き物調査", "花と緑のまちづくり", "ごみの減量キャンペーン"),
        ("みどりの会", "環境保全ネット", "公園愛護会連絡会")),
    3: ("福祉保健課", ("高齢者の健康体操教室", "認知症サポーター養成", "子育てサロン", "地域の食事会"),
        ("社会福祉協議会", "健康づくりの会", "地域ケアの会")),
    4: ("区政推進課", ("商店街の空き店舗活用", "駅周辺のにぎわいづくり", "歴史を生かした散策路づくり"),
        ("まちづくり協議会", "商店街連合会", "まちの魅力発信隊")),
    5: ("こども家庭支援課", ("子ども食堂ネットワーク", "放課後の居場所づくり", "親子の遊び場", "青少年の体験活動"),
        ("こども食堂ネット", "青少年指導員協議会", "子育て支援の会")),
    6: ("地域振興課", ("区民文化祭の共催", "ふるさと祭りの共催", "区民スポーツ大会", "歴史講座"),
        ("文化協会", "スポーツ推進委員連絡協議会", "郷土史の会")),
    7: ("区政推進課", ("男女共同参画セミナー", "多文化交流の集い"), ("女性の会", "国際交流ラウンジ運営委員会")),
    8: ("総務課", ("地域防災拠点の訓練", "災害ボランティアセンター運営訓練", "要援護者の避難支援"),
        ("自治会町内会連合会", "災害ボランティアネットワーク", "防災ボランティアの会")),
    9: ("福祉保健課", ("若者の就労体験",), ("若者サポートの会",)),
    10: ("区政推進課", ("地元野菜の朝市", "消費生活講座"), ("朝市の会", "消費生活推進員の会")),
    11: ("地域振興課", ("通学路の見守りパトロール", "防犯灯の点検活動"), ("防犯協会", "防犯パトロール隊")),
    12: ("区政推進課", ("区民意識調査の共同分析",), ("地域研究の会",)),
}

# field: ((bureau, section), project names, partners); cycled through.
BUREAU_WORK = {
    1: (("市民局", "市民協働推進課"), ("市民活動支援センターの協働運営", "協働コーディネーター養成", "地域活動の情報発信",
                                "NPO法人の運営相談"), ("NPO法人 まちづくりサポート", "市民活動ネットワーク", "一般社団法人 協働ラボ")),
    2: (("環境創造局", "みどりアップ推進課"), ("里山の保全活動", "河川の水質調査", "生き物の生息調査", "森づくりボランティア"),
        ("里山ネットワーク", "市民水質調査団", "NPO法人 森の学校", "自然観察指導員の会")),
    3: (("健康福祉局", "高齢在宅支援課"), ("認知症カフェの運営支援", "障害者の就労相談", "介護予防の普及", "地域の居場所づくり"),
        ("一般社団法人 オレンジリング", "NPO法人 はたらくネット", "介護予防サポーターの会", "市社会福祉協議会")),
    4: (("都市整備局", "地域まちづくり課"), ("駅前広場のにぎわいづくり", "景観まちづくりの推進", "空き家の活用相談"),
        ("株式会社 まちなかデザイン", "NPO法人 景観の会", "空き家活用ネット")),
    5: (("こども青少年局", "青少年育成課"), ("放課後の学習支援", "子育て情報の発信", "若者の居場所づくり"),
        ("NPO法人 まなびの庭", "子育てネットワーク", "NPO法人 ユースの広場")),
    6: (("文化観光局", "スポーツ振興課"), ("市民マラソンのボランティア運営", "街なかの音楽祭", "文化財の公開", "生涯学習の講座"),
        ("一般財団法人 市スポーツ協会", "音楽祭実行委員会", "文化財ボランティアの会", "生涯学習推進の会")),
    7: (("国際局", "政策総務課"), ("多文化共生の相談窓口", "外国人住民の日本語教室", "人権啓発の講座"),
        ("公益財団法人 国際交流協会", "日本語ボランティアの会", "人権啓発の会")),
    8: (("総務局", "危機管理課"), ("災害時の物資輸送協定", "防災の出前講座", "帰宅困難者の支援訓練"),
        ("市トラック協会", "防災士の会", "駅周辺事業者協議会")),
    9: (("経済局", "雇用労働課"), ("ひとり親の就労支援講座", "シニアの就業相談", "障害者の職場体験"),
        ("株式会社 キャリアリンク", "シルバー人材センター", "NPO法人 ワークサポート")),
    10: (("経済局", "消費経済課"), ("消費生活出前講座", "地産地消フェア", "商店街の販路支援"),
         ("消費生活推進員の会", "農業協同組合", "商店街振興組合連合会")),
    11: (("市民局", "地域防犯支援課"), ("防犯カメラ設置の協働", "特殊詐欺の防止啓発"),
         ("市防犯協会連合会", "防犯ボランティアの会")),
    12: (("政策局", "共創推進課"), ("協働事例の調査研究", "市民意識の共同調査", "データ活用の実証"),
         ("国立大学法人 海浜大学", "市立大学 地域研究センター", "一般社団法人 データのまち")),
}

# A bureau runs the same kind of project in several parts of the city.
AREAS = ("", "（北部地域）", "（南部地域）", "（臨海部）")

# Contracted projects: the published counts, then the contracts of each Art. 9 project
# (73 in all: a few citywide projects contract with a group in each ward).
CITY_WARD, CITY_BUREAU, CITIZEN_WARD, CITIZEN_BUREAU = 10, 17, 2, 2
CITY_CONTRACTS = (18, 9, 6, 4, 4, 3, 3, 2, 2, 2, 2, 2, 2) + (1,) * 14
AMOUNT_PER_CONTRACT = (1_200_000, 850_000, 2_400_000, 600_000, 1_750_000, 320_000, 980_000, 4_500_000, 450_000)


def _spaced(n: int, k: int) -> list[int]:
    """``k`` indices spread evenly over ``range(n)``."""
    return [(2 * i + 1) * n // (2 * k) for i in range(k)]


def rows() -> list[list[str]]:
    ward_rows: list[dict] = []
    bureau_rows: list[dict] = []
    w = 0
    for field, (n_ward, n_bureau) in SPREAD.items():
        section, stems, partners = WARD_WORK[field]
        for i in range(n_ward):
            ward = WARDS[w % len(WARDS)]
            ward_rows.append(dict(name=f"{ward}{stems[i % len(stems)]}", owner=ward, section=section,
                                  field=field, partner=f"{ward}{partners[i % len(partners)]}"))
            w += 1
        (bureau, bsection), names, bpartners = BUREAU_WORK[field]
        for i in range(n_bureau):
            name = names[i % len(names)] + AREAS[i // len(names) % len(AREAS)]
            bureau_rows.append(dict(name=name, owner=bureau, section=bsection, field=field,
                                    partner=bpartners[i % len(bpartners)]))
    assert (len(ward_rows), len(bureau_rows)) == (118, 85)

    for rows_, kind, n_city, n_citizen in ((ward_rows, "ward", CITY_WARD, CITIZEN_WARD),
                                           (bureau_rows, "bureau", CITY_BUREAU, CITIZEN_BUREAU)):
        for r in rows_:
            r.update(owner_kind=kind, contract=False, origin="", contract_count=0, contract_amount_yen=None)
        chosen = _spaced(len(rows_), n_city + n_citizen)
        # Every (n_city + n_citizen) // n_citizen-th contracted project came from a citizens' proposal.
        step = (n_city + n_citizen) // n_citizen
        for j, index in enumerate(chosen):
            rows_[index].update(contract=True, origin="citizen" if j % step == step - 1 else "city")

    contracted_city = [r for r in bureau_rows + ward_rows if r["origin"] == "city"]
    contracted_citizen = [r for r in ward_rows + bureau_rows if r["origin"] == "citizen"]
    assert (len(contracted_city), len(contracted_citizen)) == (27, 4)
    # The citywide projects (the most contracts) are the bureaus'.
    for k, (r, count) in enumerate(zip(contracted_city, CITY_CONTRACTS)):
        r["contract_count"] = count
        r["contract_amount_yen"] = count * AMOUNT_PER_CONTRACT[k % len(AMOUNT_PER_CONTRACT)]
        if count > 1:
            r["partner"] = f"{r['partner']}ほか{count - 1}団体"
    for k, r in enumerate(contracted_citizen):
        r["contract_count"] = 1
        r["contract_amount_yen"] = (300_000, 480_000, 1_000_000, 250_000)[k]

    out = []
    for prefix, rows_ in (("W", ward_rows), ("B", bureau_rows)):
        for n, r in enumerate(rows_, start=1):
            out.append([f"{prefix}-{n:03d}", r["name"], r["owner_kind"], r["owner"], r["section"],
                        FIELDS[r["field"]][0], r["partner"], "1" if r["contract"] else "0", r["origin"],
                        str(r["contract_count"]),
                        "" if r["contract_amount_yen"] is None else str(r["contract_amount_yen"])])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=TARGET)
    args = parser.parse_args()
    with open(args.output, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(rows())
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()

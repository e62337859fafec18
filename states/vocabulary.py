"""The ordinance's fixed vocabularies: kinds of organisation (Art. 2) and the 12 fields.

Keys are stable identifiers stored in the database; labels are what people read.
"""

from __future__ import annotations

# Article 2: "citizens etc." are citizens, corporations, neighbourhood associations and the like.
ORGANISATION_KINDS: dict[str, tuple[str, str]] = {
    "voluntary_group": ("任意団体", "Voluntary group"),
    "npo": ("NPO法人", "NPO corporation"),
    "general_association": ("一般社団法人", "General incorporated association"),
    "general_foundation": ("一般財団法人", "General incorporated foundation"),
    "company": ("株式会社", "Company"),
    "neighbourhood_association": ("自治会町内会", "Neighbourhood association"),
    "university": ("大学", "University"),
    "consortium": ("共同事業体", "Consortium"),
    "other": ("その他", "Other"),
}

# The city's twelve fields of collaboration, numbered as in the Article 20 report.
FIELDS: dict[int, tuple[str, str]] = {
    1: ("市民活動・地域活動", "Civic and community activity"),
    2: ("環境の保全", "Environmental conservation"),
    3: ("保健・医療・福祉", "Health, medical care and welfare"),
    4: ("まちづくりの推進", "Community development"),
    5: ("子ども・青少年の健全育成", "Children and youth"),
    6: ("文化・スポーツ・生涯学習の振興", "Culture, sport and lifelong learning"),
    7: ("人権・男女共同参画", "Human rights and gender equality"),
    8: ("防災・災害救援活動", "Disaster prevention and relief"),
    9: ("職業能力の開発・雇用機会の拡充", "Vocational skills and employment"),
    10: ("経済活動の活性化・消費生活", "Economic activity and consumer life"),
    11: ("防犯・地域安全活動", "Crime prevention and community safety"),
    12: ("その他調査・研究等", "Other research and studies"),
}

OWNER_KINDS: dict[str, tuple[str, str]] = {
    "ward": ("区役所", "Ward office"),
    "bureau": ("局", "Bureau"),
}

LANGUAGES = ("ja", "en")

# Article 13: the proposal fields a group may mark confidential; never shown publicly.
CONFIDENTIALISABLE_FIELDS = ("content", "proposed_roles", "estimated_cost_yen")

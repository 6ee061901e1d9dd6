"""The choices of the roster form: learning areas (學習領域) and titles (職稱).

The learning areas are the questionnaires' shared option list `areas` (stable codes; a
test keeps the two identical). An employment stores its subjects as the zh-TW labels
joined by "、", as the roster snapshot and the seed always have.
"""

from __future__ import annotations

from typing import Final

SUBJECT_SEPARATOR: Final = "、"
SUBJECTS_MAX: Final = 120  # Employment.subjects
TITLE_MAX: Final = 30  # Employment.title

LEARNING_AREAS: Final[tuple[tuple[str, str], ...]] = (
    ("mandarin", "國語文"),
    ("local_languages", "本土語文"),
    ("new_immigrant_languages", "新住民語文"),
    ("english", "英語文"),
    ("mathematics", "數學"),
    ("social_studies", "社會"),
    ("natural_sciences", "自然科學"),
    ("arts", "藝術"),
    ("integrative_activities", "綜合活動"),
    ("technology", "科技"),
    ("health_pe", "健康與體育"),
    ("life_curriculum", "生活課程（國小低年級）"),
    ("special_needs", "特殊需求領域"),
    ("defense", "全民國防教育（高中）"),
    ("vocational", "技術型高中群科專業"),
)
AREA_LABELS: Final = dict(LEARNING_AREAS)
# Older rows (the seed, imported rosters) name some areas by their short form.
AREA_ALIASES: Final = {label: code for code, label in LEARNING_AREAS} | {
    "生活課程": "life_curriculum",
    "全民國防教育": "defense",
}

OTHER_TITLE: Final = "other"
TITLES: Final[tuple[str, ...]] = (
    "教師",
    "導師",
    "專任教師",
    "教師兼組長",
    "教師兼主任",
    "主任",
    "校長",
    "代理教師",
    "幼兒園教師",
    "教保員",
)


def subject_codes(stored: str) -> list[str]:
    """The area codes of a stored subjects text (unknown names are dropped)."""
    names = [part.strip() for part in stored.split(SUBJECT_SEPARATOR)]
    return [AREA_ALIASES[name] for name in names if name in AREA_ALIASES]


def subjects_text(codes: list[str]) -> str:
    """The stored form of chosen area codes, in the list's order."""
    chosen = set(codes)
    return SUBJECT_SEPARATOR.join(label for code, label in LEARNING_AREAS if code in chosen)


def title_choice(stored: str) -> tuple[str, str]:
    """(choice, other text) of a stored title for the form."""
    return (stored, "") if stored in TITLES else (OTHER_TITLE, stored)

"""What one version of a lifecycle changes against another, read from the two definitions.

``kyodo states diff`` prints it so that the person who writes an amendment (and whoever
approves it) can see that the new version says what the amendment says, and nothing
else. Each change is described in Japanese and in English with the labels the
definitions give; the order is fixed (by kind, then name) so the same two versions
always read the same.

Transitions are told apart by trigger and sources: a trigger several states offer as a
loop each (a conflict declaration, a revision) is one transition per state. A transition
whose sources grew or shrank is reported as changed, not as one removed and one added.
A transition's notices are reported on their own (kind ``notice``) when a transition
both versions have sends different ones.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Callable, Iterable

from states.model import Condition, DeadlinePolicy, InputSpec, Lifecycle, Notify, State, Transition
from states.notices import NOTICE_KINDS
from states.roles import ROLES

KINDS = ("lifecycle", "state", "transition", "input", "condition", "deadline", "notice")
ACTIONS = ("removed", "changed", "added")

_KIND_LABEL = {
    "state": ("状態", "state"),
    "transition": ("遷移", "transition"),
    "input": ("入力項目", "input"),
    "condition": ("条件", "condition"),
    "deadline": ("期限", "deadline"),
}


@dataclass(frozen=True)
class Change:
    """One difference: what kind of thing, which one, whether added, removed or changed, and how."""

    kind: str
    name: str
    action: str  # "added" | "removed" | "changed"
    ja: str
    en: str
    aspect: str = ""  # for "changed": what changed ("dest", "sources", "due" …)
    where: tuple[str, ...] = ()  # transitions and their notices: the sources

    def sort_key(self) -> tuple:
        return (KINDS.index(self.kind), self.name, self.where, ACTIONS.index(self.action), self.aspect, self.en)


# --- how values are read out


def _none(ja: bool) -> str:
    return "なし" if ja else "none"


def _join(items: Iterable[str], ja: bool) -> str:
    items = list(items)
    return ("、" if ja else ", ").join(items) if items else _none(ja)


def _state_label(lc: Lifecycle, name: str, ja: bool) -> str:
    if not lc.has_state(name):
        return name
    st = lc.state(name)
    return st.label_ja if ja else f"{name} ({st.label_en})"


def _deadline_label(lc: Lifecycle, key: str, ja: bool) -> str:
    policy = lc._index["deadlines"].get(key)
    if policy is None:
        return key
    return policy.label_ja if ja else f"{key} ({policy.label_en})"


def _input_label(lc: Lifecycle, name: str, ja: bool) -> str:
    spec = lc._index["inputs"].get(name)
    if spec is None:
        return name
    return spec.label_ja if ja else name


def _condition_label(lc: Lifecycle, name: str, ja: bool) -> str:
    cond = lc._index["conditions"].get(name)
    if cond is None:
        return name
    return cond.label_ja if ja else name


def _role_label(lc: Lifecycle, name: str, ja: bool) -> str:
    role = ROLES.get(name)
    return role.label_ja if (ja and role) else name


def _due(policy: DeadlinePolicy, ja: bool) -> str:
    """When a deadline falls due, as its rule counts it (``10開庁日`` / ``10 business days``)."""
    if policy.rule == "business_days":
        return f"{policy.days}開庁日" if ja else f"{policy.days} business days"
    if policy.rule == "after_fiscal_year_end":
        return f"年度末から{policy.days}日" if ja else f"{policy.days} days after the fiscal year end"
    return f"入力項目「{policy.date_field}」の日" if ja else f"the date given as {policy.date_field}"


def _yes_no(value: bool, ja: bool) -> str:
    return ("はい" if value else "いいえ") if ja else ("yes" if value else "no")


def _plain(value: Any, ja: bool) -> str:
    if isinstance(value, bool):
        return _yes_no(value, ja)
    if isinstance(value, (tuple, list, frozenset, set)):
        items = sorted(value) if isinstance(value, (frozenset, set)) else value
        return _join((str(v) for v in items), ja)
    if value is None or value == "":
        return _none(ja)
    return str(value)


def _quoted(text: str, ja: bool) -> str:
    return f"『{text}』" if ja else text


@dataclass(frozen=True)
class Aspect:
    """A property of a definition as a diff reads it: the fields it covers and how a value reads.

    ``fields`` of two names are a Japanese and an English field (labels, descriptions):
    the Japanese side reads the first, the English side the second. ``item`` reads one
    element of a set-like tuple (states, roles, inputs …): such an aspect is reported as
    the elements added and removed rather than the whole list before and after.
    """

    name: str
    fields: tuple[str, ...]
    label_ja: str
    label_en: str
    item: Callable[[Lifecycle, str, bool], str] | None = None
    value: Callable[[Lifecycle, Any, bool], str] | None = None
    bilingual: bool = False


def _bi(name: str, label_ja: str, label_en: str) -> Aspect:
    return Aspect(name, (f"{name}_ja", f"{name}_en"), label_ja, label_en, bilingual=True)


def _one(name: str, label_ja: str, label_en: str, **kw) -> Aspect:
    return Aspect(name, (name,), label_ja, label_en, **kw)


def _state_value(lc: Lifecycle, value: Any, ja: bool) -> str:
    return _state_label(lc, value, ja) if value else _none(ja)


def _deadline_value(lc: Lifecycle, value: Any, ja: bool) -> str:
    return _deadline_label(lc, value, ja) if value else _none(ja)


def _note_value(lc: Lifecycle, value: Any, ja: bool) -> str:
    if not value:
        return _none(ja)
    kind, source = value
    return f"{kind}（{_input_label(lc, source, True)}から）" if ja else f"{kind} (from {source})"


STATE_ASPECTS = (
    _bi("label", "表示名", "label"),
    _bi("description", "説明", "description"),
    _one("final", "終了状態", "final"),
    _one("waits_on", "対応する役割", "waits on", item=_role_label),
    _one("deadline", "期限", "deadline", value=_deadline_value),
    _bi("public_label", "公開時の表示名", "public label"),
    _one("public_view", "公開する内容", "public view"),
    _one("tags", "タグ", "tags", item=lambda lc, v, ja: v),
    _one("editable_by", "内容を変更できる役割", "editable by", item=_role_label),
)

TRANSITION_ASPECTS = (
    _bi("label", "表示名", "label"),
    _one("sources", "遷移元の状態", "sources", item=_state_label),
    _one("dest", "遷移先", "destination", value=_state_value),
    _one("roles", "実行できる役割", "roles", item=_role_label),
    _one("article", "根拠条項", "article"),
    _one("inputs", "必須の入力項目", "inputs", item=_input_label),
    _one("optional_inputs", "任意の入力項目", "optional inputs", item=_input_label),
    _one("conditions", "条件", "conditions", item=_condition_label),
    _one("opens", "開始する期限", "opens", item=_deadline_label),
    _one("closes", "終了する期限", "closes", item=_deadline_label),
    _one("effect", "記録する処理", "effect"),
    _one("note", "記録するメモ", "note", value=_note_value),
    _one("outcome", "記録する結果", "outcome"),
    _one("page", "表示する画面", "page"),
    _one("confirm", "実行前の確認", "confirmation"),
    _one("then", "実行後の移動先", "then"),
)

# The rule, the days and the date field together say when a deadline falls due.
DEADLINE_ASPECTS = (
    _bi("label", "表示名", "label"),
    _one("waits_on", "対応する役割", "waits on", value=lambda lc, v, ja: _role_label(lc, v, ja)),
    Aspect("due", ("rule", "days", "date_field"), "", ""),
    _one("remind_before", "事前のお知らせ（日前）", "reminders before (days)"),
    _one("remind_on_day", "当日のお知らせ", "reminder on the day"),
    _one("remind_every_after", "期限後のお知らせの間隔（日）", "reminders after, every (days)"),
    _one("escalate_after", "上位への報告（期限後の日数）", "escalate after (days)"),
    _one("escalate_to", "報告先", "escalate to", item=_role_label),
    _one("article", "根拠条項", "article"),
    _one("scope_by", "区別する項目", "scope by"),
)

INPUT_ASPECTS = (
    _bi("label", "表示名", "label"),
    _one("kind", "種類", "kind"),
    _one("choices", "選択肢", "choices", item=lambda lc, v, ja: v),
    _bi("help", "説明", "help"),
)

CONDITION_ASPECTS = (
    _bi("label", "表示名", "label"),
    _one("article", "根拠条項", "article"),
    _one("on_inputs", "入力内容で判定", "checks the inputs"),
    _one("hides", "満たさないときは操作を表示しない", "hides the transition when unmet"),
    _bi("unmet", "満たされないときの表示", "message when unmet"),
)

LIFECYCLE_ASPECTS = (
    _bi("label", "表示名", "label"),
    _one("initial", "最初の状態", "initial state", value=_state_value),
    _one("roles", "役割", "roles", item=_role_label),
)

# Fields a diff never reports: the key a thing is matched by, what the header already
# says (version, date in force, amendment), what is reported as things of their own
# (states, transitions …), and the index.
_NOT_ASPECTS = {
    State: {"name"},
    Transition: {"trigger", "notify"},
    DeadlinePolicy: {"key"},
    InputSpec: {"name"},
    Condition: {"name"},
    Lifecycle: {"name", "version", "effective", "amendment_ja", "amendment_en", "states", "transitions",
                "deadlines", "inputs", "conditions", "creation", "_index"},
}


def _with_unlisted(cls: type, aspects: tuple[Aspect, ...]) -> tuple[Aspect, ...]:
    """``aspects`` and one plain aspect per field they forget, so that no difference goes unreported."""
    covered = {f for a in aspects for f in a.fields} | _NOT_ASPECTS[cls]
    return aspects + tuple(_one(f.name, f.name, f.name.replace("_", " ")) for f in fields(cls)
                           if f.name not in covered)


_ASPECTS = {
    State: _with_unlisted(State, STATE_ASPECTS),
    Transition: _with_unlisted(Transition, TRANSITION_ASPECTS),
    DeadlinePolicy: _with_unlisted(DeadlinePolicy, DEADLINE_ASPECTS),
    InputSpec: _with_unlisted(InputSpec, INPUT_ASPECTS),
    Condition: _with_unlisted(Condition, CONDITION_ASPECTS),
    Lifecycle: _with_unlisted(Lifecycle, LIFECYCLE_ASPECTS),
}


def _aspect_text(aspect: Aspect, old_lc: Lifecycle, new_lc: Lifecycle, old: Any, new: Any, ja: bool) -> str:
    """``表示名 『A』 → 『B』``: how one aspect reads before and after, in one language."""
    label = aspect.label_ja if ja else aspect.label_en
    prefix = f"{label} " if label else ""
    if aspect.name == "due":
        return f"{prefix}{_due(old, ja)} → {_due(new, ja)}"
    if aspect.bilingual:
        field = aspect.fields[0 if ja else 1]
        before, after = getattr(old, field), getattr(new, field)
        return f"{prefix}{_quoted(_plain(before, ja), ja)} → {_quoted(_plain(after, ja), ja)}"
    field = aspect.fields[0]
    before, after = getattr(old, field), getattr(new, field)
    if aspect.item is not None:
        added = [v for v in after if v not in before]
        removed = [v for v in before if v not in after]
        parts = []
        if added:
            names = _join((_quoted(aspect.item(new_lc, v, ja), ja) for v in added), ja)
            parts.append(f"{names}を追加" if ja else f"+ {names}")
        if removed:
            names = _join((_quoted(aspect.item(old_lc, v, ja), ja) for v in removed), ja)
            parts.append(f"{names}を削除" if ja else f"− {names}")
        if not parts:  # same elements, another order
            parts.append("順序を変更" if ja else "reordered")
        return f"{label}に" + "、".join(parts) if ja else f"{label}: " + "; ".join(parts)
    read = aspect.value or (lambda lc, v, ja_: _plain(v, ja_))
    return f"{prefix}{read(old_lc, before, ja)} → {read(new_lc, after, ja)}"


def _differs(aspect: Aspect, old: Any, new: Any) -> bool:
    return any(getattr(old, f) != getattr(new, f) for f in aspect.fields)


def _compare(kind: str, name: str, old_obj: Any, new_obj: Any, old_lc: Lifecycle, new_lc: Lifecycle,
             title: Callable[[bool], str], where: tuple[str, ...] = ()) -> list[Change]:
    out = []
    for aspect in _ASPECTS[type(new_obj)]:
        if _differs(aspect, old_obj, new_obj):
            ja = f"{title(True)}：{_aspect_text(aspect, old_lc, new_lc, old_obj, new_obj, True)}"
            en = f"{title(False)}: {_aspect_text(aspect, old_lc, new_lc, old_obj, new_obj, False)}"
            out.append(Change(kind, name, "changed", ja, en, aspect.name, where))
    return out


def _added_removed(kind: str, name: str, action: str, title: Callable[[bool], str],
                   where: tuple[str, ...] = ()) -> Change:
    ja = f"{title(True)}を{'追加' if action == 'added' else '削除'}"
    en = f"{title(False)} {action}"
    return Change(kind, name, action, ja, en, where=where)


def _titled(kind: str, name: str, label_ja: str, label_en: str) -> Callable[[bool], str]:
    kind_ja, kind_en = _KIND_LABEL[kind]
    return lambda ja: f"{kind_ja}『{label_ja}』" if ja else f"{kind_en} {name} ({label_en})"


def _by_key(kind: str, old_items: dict[str, Any], new_items: dict[str, Any], old_lc: Lifecycle,
            new_lc: Lifecycle) -> list[Change]:
    """Things keyed by name (states, inputs, conditions, deadlines)."""
    out = []
    for name in sorted(set(old_items) | set(new_items)):
        old, new = old_items.get(name), new_items.get(name)
        shown = new if new is not None else old
        title = _titled(kind, name, shown.label_ja, shown.label_en)
        if old is None:
            out.append(_added_removed(kind, name, "added", title))
        elif new is None:
            out.append(_added_removed(kind, name, "removed", title))
        else:
            out += _compare(kind, name, old, new, old_lc, new_lc, title)
    return out


# --- transitions


def _pair(olds: list[Transition], news: list[Transition]) -> tuple[list[tuple[Transition, Transition]],
                                                                   list[Transition], list[Transition]]:
    """Match one trigger's transitions across versions: same sources first, then most sources shared.

    Returns (pairs, only old, only new). One left on each side, sharing no source, is
    still one transition moved to other states.
    """
    olds, news = list(olds), list(news)
    pairs = []
    for o in list(olds):
        same = next((n for n in news if n.sources == o.sources), None)
        if same is not None:
            pairs.append((o, same))
            olds.remove(o)
            news.remove(same)
    while olds and news:
        overlap, o, n = max(((len(set(o.sources) & set(n.sources)), o, n) for o in olds for n in news),
                            key=lambda t: t[0])
        if overlap == 0:
            break
        pairs.append((o, n))
        olds.remove(o)
        news.remove(n)
    if len(olds) == 1 and len(news) == 1:
        pairs.append((olds.pop(), news.pop()))
    return pairs, olds, news


def _transition_title(t: Transition, lc: Lifecycle, shared: bool, route: bool = False) -> Callable[[bool], str]:
    """A transition as people read it; one of several per-state copies of a trigger also names its states.

    ``route``: also where it goes from and to (a transition added or removed as a whole).
    """
    def title(ja: bool) -> str:
        sources = _join((_state_label(lc, s, ja) for s in t.sources), ja) if t.sources else ""
        if ja:
            if route and not t.is_loop:
                where = f"（{sources} → {_state_label(lc, t.dest, True)}）"
            else:
                where = f"（{sources}）" if (shared or route) and sources else ""
            return f"遷移『{t.label_ja}』{where}"
        if route and not t.is_loop:
            where = f" from {', '.join(t.sources) or '—'} to {t.dest}"
        else:
            where = f" in {', '.join(t.sources)}" if (shared or route) and t.sources else ""
        return f"transition {t.trigger} ({t.label_en}){where}"
    return title


def _notify_text(lc: Lifecycle, n: Notify, ja: bool) -> str:
    """``通知『提案の受付』（宛先：提案団体、期限『…』を記載）`` / ``notice receipt to proposer (stating …)``."""
    kind = NOTICE_KINDS.get(n.kind)
    if ja:
        due = f"、期限『{_deadline_label(lc, n.due, True)}』を記載" if n.due else ""
        return f"通知『{kind.label_ja if kind else n.kind}』（宛先：{_role_label(lc, n.to, True)}{due}）"
    return f"notice {n.kind} to {n.to}" + (f" (stating deadline {n.due})" if n.due else "")


def _notices(old: Transition, new: Transition, old_lc: Lifecycle, new_lc: Lifecycle,
             title: Callable[[bool], str]) -> list[Change]:
    """The notices a transition both versions have sends, compared by kind and recipient."""
    before = {(n.kind, n.to): n for n in old.notify}
    after = {(n.kind, n.to): n for n in new.notify}
    out = []
    for key in sorted(set(before) | set(after)):
        b, a = before.get(key), after.get(key)
        name = f"{new.trigger}:{key[0]}:{key[1]}"
        if b is None:
            ja = f"{title(True)}に{_notify_text(new_lc, a, True)}を追加"
            en = f"{title(False)}: {_notify_text(new_lc, a, False)} added"
            out.append(Change("notice", name, "added", ja, en, where=new.sources))
        elif a is None:
            ja = f"{title(True)}から{_notify_text(old_lc, b, True)}を削除"
            en = f"{title(False)}: {_notify_text(old_lc, b, False)} removed"
            out.append(Change("notice", name, "removed", ja, en, where=new.sources))
        elif a != b:
            ja = (f"{title(True)}の通知『{NOTICE_KINDS[a.kind].label_ja if a.kind in NOTICE_KINDS else a.kind}』："
                  f"記載する期限 {_deadline_value(old_lc, b.due, True)} → {_deadline_value(new_lc, a.due, True)}")
            en = (f"{title(False)}: notice {a.kind} to {a.to}: states deadline "
                  f"{_deadline_value(old_lc, b.due, False)} → {_deadline_value(new_lc, a.due, False)}")
            out.append(Change("notice", name, "changed", ja, en, "due", new.sources))
    return out


def _all_transitions(lc: Lifecycle) -> list[Transition]:
    return [*lc.transitions, *((lc.creation,) if lc.creation is not None else ())]


def _transitions(old_lc: Lifecycle, new_lc: Lifecycle) -> list[Change]:
    def grouped(lc: Lifecycle) -> dict[str, list[Transition]]:
        out: dict[str, list[Transition]] = {}
        for t in _all_transitions(lc):
            out.setdefault(t.trigger, []).append(t)
        return out

    old_by, new_by = grouped(old_lc), grouped(new_lc)
    out: list[Change] = []
    for trigger in sorted(set(old_by) | set(new_by)):
        olds, news = old_by.get(trigger, []), new_by.get(trigger, [])
        shared = len(olds) > 1 or len(news) > 1
        pairs, only_old, only_new = _pair(olds, news)
        for t in only_old:
            out.append(_added_removed("transition", trigger, "removed", _transition_title(t, old_lc, shared, True),
                                      t.sources))
        for t in only_new:
            out.append(_added_removed("transition", trigger, "added", _transition_title(t, new_lc, shared, True),
                                      t.sources))
        for o, n in pairs:
            title = _transition_title(n, new_lc, shared)
            out += _compare("transition", trigger, o, n, old_lc, new_lc, title, n.sources)
            out += _notices(o, n, old_lc, new_lc, title)
    return out


# --- the whole


def diff(old: Lifecycle, new: Lifecycle) -> list[Change]:
    """Every difference from ``old`` to ``new`` (two versions of one lifecycle), in a fixed order."""
    out: list[Change] = []
    lc_title = lambda ja: f"ライフサイクル『{new.label_ja}』" if ja else f"lifecycle {new.name} ({new.label_en})"  # noqa: E731
    out += _compare("lifecycle", new.name, old, new, old, new, lc_title)
    out += _by_key("state", {s.name: s for s in old.states}, {s.name: s for s in new.states}, old, new)
    out += _transitions(old, new)
    out += _by_key("input", {i.name: i for i in old.inputs}, {i.name: i for i in new.inputs}, old, new)
    out += _by_key("condition", {c.name: c for c in old.conditions}, {c.name: c for c in new.conditions}, old, new)
    out += _by_key("deadline", {d.key: d for d in old.deadlines}, {d.key: d for d in new.deadlines}, old, new)
    return sorted(out, key=Change.sort_key)

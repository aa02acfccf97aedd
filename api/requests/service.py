from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

from sqlalchemy import bindparam
from sqlmodel import Session, select

from api.brands.models import Brand
from api.core.auth import Principal
from api.core.db import get_kept
from api.core.deployment import Deployment
from api.core.errors import NotFound
from api.creators.models import Creator
from api.kit.pagination import Page, PageParams, page_of, paginate
from api.kit.types import new_id
from api.legal.service import check_categories
from api.match_index import SharedIndex
from api.me.personal import require_not_erased
from api.requests.models import (
    CollabRequest,
    MatchCheck,
    MatchCreator,
    MatchList,
    MatchPublic,
    MatchReason,
    RequestCreate,
    RequestInterpretations,
    RequestPublic,
    TaggedValue,
)
from api.values.models import readings
from api.values.service import (
    brand_targets,
    concept_weights,
    denied_slugs,
    held_practices,
    read_phrases,
)
from matching import Brief, detect_language, load_taxonomy, tag_text
from matching.closeness import brief_phrases
from matching.interpret import aimed_at_minors
from matching.names import stated_names
from matching.semantic import brief_meaning


def to_public(collab_request: CollabRequest) -> RequestPublic:
    taxonomy = load_taxonomy()
    tagged = [
        TaggedValue(
            slug=slug, weight=round(weight, 4), label=taxonomy.label(slug, collab_request.lang)
        )
        for slug, weight in sorted(collab_request.target_values.items(), key=lambda kv: -kv[1])
    ]
    return RequestPublic(
        id=collab_request.id,
        brand_id=collab_request.brand_id,
        title=collab_request.title,
        description=collab_request.description,
        lang=collab_request.lang,
        target_values=tagged,
        values_source=collab_request.values_source,
        interpretations=RequestInterpretations(
            target_values=readings(collab_request.target_phrases)
        ),
        budget={"amount": collab_request.budget_amount, "token": collab_request.budget_token},
        deliverables=collab_request.deliverables,
        deadline=collab_request.deadline,
        audience=collab_request.audience,
        categories=collab_request.categories,
        status=collab_request.status,
        created_at=collab_request.created_at,
    )


# The brand's profile speaks for every brief, but less than the brief's own text.
BRAND_VALUE_WEIGHT = 0.5


# The brief's own words beyond its target phrases: the causes its title and description name
# count too when it has targets, below them.
TEXT_WEIGHT = 0.6


def with_text_causes(targets: dict[str, float], *, text: str, lang: str) -> dict[str, float]:
    """``targets`` and the causes tagged in the brief's text at :data:`TEXT_WEIGHT` (a cause
    already targeted keeps its weight)."""
    taxonomy = load_taxonomy()
    out = dict(targets)
    for slug, weight in tag_text(text, lang=lang).items():
        if taxonomy.get(slug).kind == "cause":
            out.setdefault(slug, round(TEXT_WEIGHT * weight, 4))
    return out


def tagged_targets(*, text: str, lang: str, brand_values: list[str]) -> dict[str, float]:
    """What a brief that names no value is for: the values tagged in its title and
    description, and the brand's own values at :data:`BRAND_VALUE_WEIGHT` (a value found in
    both keeps the higher weight). Possibly empty: the brief is then matched on the rest."""
    targets = dict(tag_text(text, lang=lang))
    for slug in brand_values:
        targets[slug] = max(targets.get(slug, 0.0), BRAND_VALUE_WEIGHT)
    return targets


def brief_targets(
    weights: dict[str, float], *, text: str, lang: str, brand_values: Callable[[], list[str]]
) -> tuple[dict[str, float], str]:
    """A brief's target values and where they come from: the concepts of its target phrases
    (``weights``) with the causes of its text below them ("brand"), else, when there are none,
    :func:`tagged_targets` ("tagged"; ``brand_values`` is only asked for then)."""
    if weights:
        return with_text_causes(weights, text=text, lang=lang), "brand"
    return tagged_targets(text=text, lang=lang, brand_values=brand_values()), "tagged"


def create_request(
    *, session: Session, deployment: Deployment, brand: Principal, data: RequestCreate
) -> RequestPublic:
    """Post a brief. Its target values are, in this order of preference: the concepts read in
    the phrases of `target_values` (weight = the reading's confidence; negated readings
    aside); else, when the brand named none or none was understood, those of
    :func:`tagged_targets` (title + description, and the brand's own values). A brief with no
    target at all is still posted: the engine then keeps every creator that passes the other
    rules."""
    deployment.check(tokens=[("budget.token", data.budget.token)])
    check_categories(
        categories=data.categories, countries=data.audience.countries, field="categories"
    )
    text = f"{data.title}\n{data.description}"
    lang = data.lang or detect_language(text)
    phrases = read_phrases(data.target_values or [], role="value", lang=lang)

    def brand_values() -> list[str]:
        owner = session.get(Brand, brand.id)
        return brand_targets(concept_weights(owner.value_phrases)) if owner else []

    values, source = brief_targets(
        concept_weights(phrases), text=text, lang=lang, brand_values=brand_values
    )
    collab_request = CollabRequest(
        id=new_id("req"),
        brand_id=brand.id,
        title=data.title,
        description=data.description,
        lang=lang,
        target_values=values,
        target_phrases=phrases,
        values_source=source,
        budget_amount=str(data.budget.amount),
        budget_token=data.budget.token,
        deliverables=[d.model_dump() for d in data.deliverables],
        deadline=data.deadline,
        audience=data.audience.model_dump(),
        categories=list(dict.fromkeys(data.categories)),
    )
    session.add(collab_request)
    session.flush()
    return to_public(collab_request)


def get_own_request(*, session: Session, brand: Principal, request_id: str) -> CollabRequest:
    collab_request = session.get(CollabRequest, request_id)
    # Another brand's request answers exactly like a missing one: no existence leak.
    if collab_request is None or collab_request.brand_id != brand.id:
        raise NotFound(f"request {request_id} not found")
    return collab_request


def list_requests(*, session: Session, brand: Principal, params: PageParams) -> Page:
    statement = select(CollabRequest).where(CollabRequest.brand_id == brand.id)
    rows = list(session.exec(paginate(statement, CollabRequest.id, params)))
    return page_of(rows, params, to_public)


# What a brief is made of: these columns of the request and of its brand, read in one query.
_BRIEF_REQUEST = (
    CollabRequest.brand_id,
    CollabRequest.title,
    CollabRequest.description,
    CollabRequest.lang,
    CollabRequest.target_values,
    CollabRequest.target_phrases,
    CollabRequest.budget_amount,
    CollabRequest.budget_token,
    CollabRequest.audience,
)
_BRIEF_BRAND = (
    Brand.name.label("brand_name"),
    Brand.practices,
    Brand.practice_phrases,
    Brand.description.label("brand_description"),
    Brand.value_phrases,
)


# Built once (as the query below): SQLAlchemy neither builds them nor computes their cache key
# again on each request.
_BRIEF_ROW = (
    select(*_BRIEF_REQUEST, *_BRIEF_BRAND)
    .join(Brand, Brand.id == CollabRequest.brand_id)
    .where(CollabRequest.id == bindparam("request_id"))
)
# Who owns the request, and when its brand last changed (the brief holds the brand's words):
# the brief's query, with these two columns only.
_BRIEF_STAMP = _BRIEF_ROW.with_only_columns(CollabRequest.brand_id, Brand.updated_at)
_MATCHED_CREATORS = select(
    Creator.id, Creator.handle, Creator.display_name, Creator.is_virtual
).where(Creator.id.in_(bindparam("ids", expanding=True)))


def _brief_row(session: Session, request_id: str):
    return session.exec(_BRIEF_ROW, params={"request_id": request_id}).first()


def _brief(row, *, budget: int | None = None, token: str | None = None) -> Brief:
    audience = row.audience
    words = {
        "title": row.title,
        "description": row.description,
        "values": [phrase["text"] for phrase in row.target_phrases],
        "brand_description": row.brand_description,
        "brand_values": [phrase["text"] for phrase in row.value_phrases],
    }
    # a practice read too loosely to be held (matching.interpret.loose) is not the brand's
    practices = held_practices(row.practices, row.practice_phrases)
    denied = denied_slugs(row.practice_phrases)
    stated = [phrase["text"] for phrase in row.practice_phrases if not phrase["negated"]]
    own_words = [row.brand_description, row.title, row.description, *stated]
    return Brief(
        values=dict(row.target_values),
        # targeted ads from a brand that serves teens market to children (aimed_at_minors)
        practices=practices + aimed_at_minors(practices, own_words, denied),
        practices_denied=denied,
        stated_names=stated_names(
            [phrase["text"] for phrase in row.practice_phrases], row.brand_name
        ),
        budget=budget if budget is not None else int(row.budget_amount),
        token=token or row.budget_token,
        languages=list(audience.get("languages", [])),
        platforms=list(audience.get("platforms", [])),
        min_followers=int(audience.get("min_followers", 0)),
        countries=list(audience.get("countries", [])),
        lang=row.lang,
        meaning=brief_meaning(**words),
        phrases=brief_phrases(**words),
    )


def brief_for(
    *,
    session: Session,
    collab_request: CollabRequest,
    budget: int | None = None,
    token: str | None = None,
) -> Brief:
    """The brief of a request this unit of work has loaded, with its brand from the session (an
    offer's terms read the brand too): no query joins them again."""
    brand = get_kept(session, Brand, collab_request.brand_id)
    row = SimpleNamespace(
        **{column.key: getattr(collab_request, column.key) for column in _BRIEF_REQUEST},
        brand_name=brand.name,
        practices=brand.practices,
        practice_phrases=brand.practice_phrases,
        brand_description=brand.description,
        value_phrases=brand.value_phrases,
    )
    return _brief(row, budget=budget, token=token)


def _matching_brief(row) -> Brief:
    """The brief as the matches list reads it: a creator who shares none of its values is not
    a match, however big the audience (the index filters them out before its top k)."""
    brief = _brief(row)
    brief.require_shared_value = True
    return brief


def _match_public(match, creator) -> MatchPublic:
    """A ranked creator as the API shows it (``creator``: a row with id, handle, display_name
    and is_virtual)."""
    return MatchPublic(
        creator=_match_creator(creator),
        score=min(1.0, max(0.0, float(match.score))),
        components={k: round(float(v), 4) for k, v in match.components.items()},
        explanation=match.explanation,
        is_virtual=creator.is_virtual,
    )


def _match_creator(creator) -> MatchCreator:
    return MatchCreator(
        id=creator.id,
        handle=creator.handle,
        display_name=creator.display_name,
        is_virtual=creator.is_virtual,
    )


def find_matches(
    *,
    session: Session,
    index: SharedIndex,
    brand: Principal,
    request_id: str,
    limit: int,
    diversify: bool,
) -> MatchList:
    """The request's matches: three queries (whose request it is and when its brand changed,
    the brief, the creators shown), and only the first while neither the brand nor the index
    has changed since the list was last made."""
    stamp = session.exec(_BRIEF_STAMP, params={"request_id": request_id}).first()
    if stamp is None or stamp.brand_id != brand.id:  # as get_own_request answers
        raise NotFound(f"request {request_id} not found")
    # A request's words are not changed once it is posted; its brand's change with the brand's
    # stamp. A creator's change reaches the creators shown through the index: each is a write.
    key = ("matches", request_id, stamp.updated_at, limit, diversify)

    def ranked() -> MatchList:
        row = _brief_row(session, request_id)
        return _ranked(session, index, row, request_id, limit=limit, diversify=diversify)

    return index.remembered(key, ranked)


def _ranked(session: Session, index: SharedIndex, row, request_id: str, *, limit, diversify):
    brief = _matching_brief(row)
    matches = index.search(brief, limit=limit, diversify=diversify)
    ids = [m.creator_id for m in matches]
    creators = {c.id: c for c in session.exec(_MATCHED_CREATORS, params={"ids": ids})}
    items = [  # a creator deleted since the index saw it is left out
        _match_public(match, creators[match.creator_id])
        for match in matches
        if match.creator_id in creators
    ]
    return MatchList(request_id=request_id, diversified=diversify, items=items)


def check_match(
    *, session: Session, index: SharedIndex, collab_request: CollabRequest, creator_id: str
) -> MatchCheck:
    """Why a creator is, or is not, among this request's matches: the same rules as the list,
    read for one creator."""
    creator = session.get(Creator, creator_id)
    if creator is None:
        raise NotFound(f"creator {creator_id} not found")
    require_not_erased(creator)
    brief = _matching_brief(_brief_row(session, collab_request.id))
    result = index.screen(brief, creator)
    if isinstance(result, list):
        reasons = [
            MatchReason(code=r.code, message=r.message, detail=dict(r.detail or {})) for r in result
        ]
        return MatchCheck(
            request_id=collab_request.id,
            creator=_match_creator(creator),
            matched=False,
            reasons=reasons,
            match=None,
        )
    match = _match_public(result, creator)
    return MatchCheck(
        request_id=collab_request.id,
        creator=match.creator,
        matched=True,
        reasons=[],
        match=match,
    )

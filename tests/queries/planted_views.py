"""Planted-fault viewsets for the query oracles, on the reference app's own models."""

from __future__ import annotations

from typing import Any

from aksara.api.filters import OrderingFilter
from aksara.api.pagination import LimitOffsetPagination
from aksara.db.engine import Database

from targets.base import describe_viewset
from targets.refapp.views import CategoryViewSet, CommentViewSet, TicketViewSet


class DropsPriorityFilter(TicketViewSet):
    """Planted: ignores every ``priority`` condition (a filter that drops a condition)."""

    prefix = "/planted/drop-filter"

    def get_queryset(self, request: Any = None, **filters: Any) -> Any:
        filters = {k: v for k, v in filters.items() if not k.startswith("priority")}
        if request is not None:
            from starlette.datastructures import QueryParams

            kept = [(k, v) for k, v in request.query_params.multi_items() if not k.startswith("priority")]
            request._query_params = QueryParams(kept)
        return super().get_queryset(request=request, **filters)


class IgnoresDirection(OrderingFilter):
    def filter_queryset(self, request: Any, queryset: Any, view: Any) -> Any:
        terms = request.query_params.get(self.ordering_param)
        if not terms:
            return super().filter_queryset(request, queryset, view)
        return queryset.order_by(*[t.strip().lstrip("-") for t in terms.split(",") if t.strip()])


class AppliesEveryTerm(OrderingFilter):
    def filter_queryset(self, request: Any, queryset: Any, view: Any) -> Any:
        terms = request.query_params.get(self.ordering_param)
        if not terms:
            return super().filter_queryset(request, queryset, view)
        return queryset.order_by(*[t.strip() for t in terms.split(",") if t.strip()])


class OrdersByUnlistedFields(TicketViewSet):
    """Planted: an ordering backend that applies every requested term, in the allowlist or not."""

    prefix = "/planted/any-ordering"
    filter_backends = [b for b in TicketViewSet.filter_backends if b is not OrderingFilter] + [AppliesEveryTerm]


class IgnoresOrderingDirection(TicketViewSet):
    """Planted: an ordering backend that drops the ``-`` (descending) prefix."""

    prefix = "/planted/no-direction"
    filter_backends = [b for b in TicketViewSet.filter_backends if b is not OrderingFilter] + [IgnoresDirection]


class SkipsARow(LimitOffsetPagination):
    async def paginate_queryset(self, queryset: Any, request: Any) -> Any:
        result = await super().paginate_queryset(queryset, request)
        if self.offset > 0:
            self.offset += 1  # planted: every page after the first starts one row late
        return result


class PaginatorSkipsRows(CommentViewSet):
    """Planted: a limit/offset paginator that skips a row at each page boundary."""

    prefix = "/planted/skip-rows"
    pagination_class = SkipsARow


class FormatsSQL(CategoryViewSet):
    """Planted: builds its search query with string formatting."""

    prefix = "/planted/formatted-sql"

    async def list(self, request: Any, limit: int = 20, offset: int = 0, **filters: Any) -> Any:
        term = request.query_params.get("search")
        if term is not None:
            await Database.get_instance().fetch(
                f"SELECT id FROM categories WHERE name = '{term}'")  # planted injection
        return await super().list(request, limit=limit, offset=offset, **filters)


class HidesAuthorWithoutFilters(CommentViewSet):
    """Correct counterpart for the side-channel test: drops filters and ordering on ``author``."""

    prefix = "/planted/author-hidden-correct"

    def get_filter_fields(self) -> list[str]:
        return [f for f in super().get_filter_fields() if f != "author"]

    filterable_fields = [f for f in CommentViewSet.filterable_fields if f != "author"]
    ordering_fields = [f for f in CommentViewSet.ordering_fields if f != "author"]


class AuthorFilterable(CommentViewSet):
    """Planted: ``author`` is declared hidden from AI principals (below) but stays filterable."""

    prefix = "/planted/author-hidden-leaky"


class CaseSensitiveSearch(OrderingFilter.__mro__[1]):
    """Planted: ``?search=`` as a case-sensitive LIKE on the title only."""

    def filter_queryset(self, request: Any, queryset: Any, view: Any) -> Any:
        term = request.query_params.get("search")
        return queryset.filter(title__contains=term) if term else queryset


class SearchIgnoresCase(TicketViewSet):
    prefix = "/planted/case-sensitive-search"
    filter_backends = [b for b in TicketViewSet.filter_backends if b.__name__ != "SearchFilter"] + [CaseSensitiveSearch]


PLANTED = [SearchIgnoresCase, DropsPriorityFilter, IgnoresOrderingDirection, OrdersByUnlistedFields,
           PaginatorSkipsRows, FormatsSQL,
           HidesAuthorWithoutFilters, AuthorFilterable]


def register(app: Any) -> None:
    app.register_viewsets(PLANTED)


def spec(viewset: type, hide: tuple[str, ...] = ()) -> Any:
    """The planted viewset's ResourceSpec, optionally declaring fields hidden from AI principals."""
    import dataclasses

    resource = describe_viewset(viewset)
    if hide:
        fields = tuple(dataclasses.replace(f, ai_sensitive=True) if f.name in hide else f for f in resource.fields)
        resource = dataclasses.replace(resource, fields=fields)
    return resource

"""The schema's enums and the models' enums are separate classes (schema/ does not use the ORM);
resolvers convert between them by value or name, so both must list the same members."""

from __future__ import annotations

from models import task_values
from models.users import Role as ModelRole
from resolvers.tasks.pages import DEFAULT_DESCENDING, DEFAULT_SORT
from schema.pagination import OrderDirection
from schema.tasks.input import TaskOrder
from schema.tasks.types import TaskOrderField, TaskPriority, TaskStatus
from schema.users.types import Role


def test_task_status_members_match_the_model() -> None:
    """A GraphQL status converts to the stored status by its value, and back."""
    assert [s.value for s in TaskStatus] == [s.value for s in task_values.Status]


def test_task_priority_members_match_the_model() -> None:
    """A GraphQL priority converts to the stored integer by its name, and back."""
    assert [p.value for p in TaskPriority] == [p.name for p in task_values.Priority]


def test_task_order_fields_match_the_model_sorts() -> None:
    """A GraphQL order field converts to the model's sort by name."""
    assert [f.value for f in TaskOrderField] == [s.name for s in task_values.TaskSort]


def test_roles_match_the_model() -> None:
    """A GraphQL role is stored by its value."""
    assert [r.value for r in Role] == [r.value for r in ModelRole]


def test_omitted_order_is_the_default_of_task_order() -> None:
    """A list without orderBy is sorted as one with `orderBy: {}` (TaskOrder's defaults)."""
    default = TaskOrder()
    assert task_values.TaskSort[default.field.value] is DEFAULT_SORT
    assert (default.direction is OrderDirection.DESC) is DEFAULT_DESCENDING

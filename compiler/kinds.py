"""What a field plan does (plain ints, decided once per plan) and what an edge's node is:
shared by the compiler (plan.py) and the row builders it generates (builders.py)."""

TYPENAME = 0  # a constant: the object type's name
VALUE = 1  # a row column or page attribute, converted by `convert`
EMAIL = 2  # User.email: the row's column when the viewer may read it
OWNER = 3  # Task.owner: the owner's row, from the page's owners
USER_TASKS = 4  # User.tasks: this user's page of the read `read`
EDGES = 5  # a connection's edges
PAGE_INFO = 6  # a connection's pageInfo
CURSOR = 7  # an edge's cursor
NODE = 8  # an edge's node

TASK_NODE, USER_NODE = "task", "user"


def same_text(value: str) -> str:
    """A leaf converter's text form when a str is output as itself (String, ID)."""
    return value

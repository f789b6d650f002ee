"""One source for every length limit a user can meet.

The models' column sizes, the resolvers' input checks and the schema's field descriptions
all read these, so a limit changes in one place (a column size change still needs a migration:
the drift test says so).
"""

from __future__ import annotations

TASK_TITLE_MAX = 200  # characters after trimming; also the column size
TASK_DESCRIPTION_MAX = 2000
TASK_CLIENT_MUTATION_ID_MAX = 100  # also the column size
TASK_SEARCH_MAX = 200  # TaskFilter.titleContains
USER_SEARCH_MAX = 200  # UserFilter.search

USER_EMAIL_MAX = 320  # RFC 5321's path limit; also the column size
USER_DISPLAY_NAME_MAX = 100  # characters after trimming; also the column size

PASSWORD_MIN = 12
# An upper bound keeps one hash cheap; argon2 reads the whole password.
PASSWORD_MAX = 1024
TASK_EVENT_FILTER_IDS_MAX = 100  # TaskEventFilter.taskIds

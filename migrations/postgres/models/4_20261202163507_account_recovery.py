from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    # aerich 0.10.1 wrote the SQLite statements here ahead of the PostgreSQL ones, in upgrade
    # and downgrade; only the PostgreSQL ones are kept.
    return """
        CREATE TABLE IF NOT EXISTS "account_tokens" (
    "id" UUID NOT NULL PRIMARY KEY,
    "purpose" VARCHAR(32) NOT NULL,
    "token_hash" VARCHAR(64) NOT NULL UNIQUE,
    "expires_at" TIMESTAMPTZ NOT NULL,
    "used_at" TIMESTAMPTZ,
    "created_at" TIMESTAMPTZ NOT NULL,
    "user_id" UUID NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "idx_account_tok_expires_6e91bd" ON "account_tokens" ("expires_at");
CREATE INDEX IF NOT EXISTS "idx_account_tok_user_id_112c4c" ON "account_tokens" ("user_id");
COMMENT ON COLUMN "account_tokens"."purpose" IS 'PASSWORD_RESET: PASSWORD_RESET\nEMAIL_VERIFICATION: EMAIL_VERIFICATION';
        ALTER TABLE "users" ADD "email_verified_at" TIMESTAMPTZ;
        COMMENT ON COLUMN "sessions"."revoke_reason" IS 'LOGOUT: LOGOUT\nREFRESH_TOKEN_REUSED: REFRESH_TOKEN_REUSED\nPASSWORD_CHANGED: PASSWORD_CHANGED\nROLE_CHANGED: ROLE_CHANGED\nSTATUS_CHANGED: STATUS_CHANGED\nPASSWORD_RESET: PASSWORD_RESET\nREVOKED: REVOKED\nLOGOUT_EVERYWHERE: LOGOUT_EVERYWHERE\nADMIN_REVOKED: ADMIN_REVOKED';
        COMMENT ON COLUMN "audit_events"."action" IS 'TASK_CREATED: task.created\nTASK_UPDATED: task.updated\nTASK_STATUS_CHANGED: task.status_changed\nTASK_DELETED: task.deleted\nUSER_CREATED: user.created\nUSER_UPDATED: user.updated\nUSER_ROLE_CHANGED: user.role_changed\nUSER_DEACTIVATED: user.deactivated\nUSER_REACTIVATED: user.reactivated\nUSER_PASSWORD_CHANGED: user.password_changed\nUSER_PASSWORD_RESET: user.password_reset\nUSER_EMAIL_VERIFIED: user.email_verified\nUSER_SESSIONS_REVOKED: user.sessions_revoked\nLOGIN: session.login\nLOGOUT: session.logout\nREFRESH_TOKEN_REUSED: session.refresh_token_reused\nSESSION_REVOKED: session.revoked';"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        ALTER TABLE "users" DROP COLUMN "email_verified_at";
        COMMENT ON COLUMN "sessions"."revoke_reason" IS 'LOGOUT: LOGOUT\nREFRESH_TOKEN_REUSED: REFRESH_TOKEN_REUSED\nPASSWORD_CHANGED: PASSWORD_CHANGED\nROLE_CHANGED: ROLE_CHANGED\nSTATUS_CHANGED: STATUS_CHANGED';
        COMMENT ON COLUMN "audit_events"."action" IS 'TASK_CREATED: task.created\nTASK_UPDATED: task.updated\nTASK_STATUS_CHANGED: task.status_changed\nTASK_DELETED: task.deleted\nUSER_CREATED: user.created\nUSER_UPDATED: user.updated\nUSER_ROLE_CHANGED: user.role_changed\nUSER_DEACTIVATED: user.deactivated\nUSER_REACTIVATED: user.reactivated\nUSER_PASSWORD_CHANGED: user.password_changed\nLOGIN: session.login\nLOGOUT: session.logout\nREFRESH_TOKEN_REUSED: session.refresh_token_reused';
        DROP TABLE IF EXISTS "account_tokens";"""


MODELS_STATE = (
    "eJztXOtv2zYQ/1cMfeqALGhdLy2MYYBqK4lX2yosOd1WDwQj0bYWmXL1SBp0+d9HUm/qEd"
    "uzHVnVl8Q63pHU7/i4Ox71XVhZOjKd86mDbKHb+i5guELkR4p+1hLgeh1TKcGFtyZj9AgH"
    "o8Bbx7Wh5hLiHJoOIiQdOZptrF3DwoSKPdOkREsjjAZexCQPG189BFxrgdwl68iXvwnZwD"
    "r6hhz6+EXQbARdpAPo0sYMXfibsqzvwNxApp7qOykkRYwO3Mc1o02ng/4l46RduAWaZXor"
    "HHOvH92lhSN2zzP0cypDyxYII5s2nng12vMAgpDkvwUhuLaHou7rMUFHc+iZFCDh17mHNY"
    "pLKwDa0J1zjB6Aof8W9DDBDcBYVoEiqQAIW8CqWZiqxMAuxfD7k19vjAujCrSB3rU4efX2"
    "4ieGhOW4C5sVMtSEJyYIXeiLMn3EYKMVNMws3r0ltPPxjgQ4yElXDwN2CNABIBVW8BswEV"
    "64S/L4tv26BOMbceLD3H7NcLbIZPGn0DgoavtlFO8YX91w1iZ8BOx5C5h5uf2gHRJiuOO5"
    "fnS837zeBG/CVYg3K0vjvYaO82DZOlhCZ7kN4BnBGiLe/uWXDRAnXIWIs7I04rZlFoxsCX"
    "srBvaA9AliDWVAD2WPh7UwVaTJlks0k+m26N8ZFvujwbjbYv+EXUb9xSaD/qJ4zF/wCjAc"
    "QPZt4z5HCx8sAjDEBTtnUo7TwC0RPJQKwhX+uHvkB1ke0ppXjvPVZISBymE8HX2QCPYMes"
    "JkuIw8GKsc4K51hzBAa0vLWWEG2M2Hm5PiACdvcCi8Xx9qbVnQHvzcftN513n/9qLznrCw"
    "XkaUdyX6yMLKLAtwj2yD8IeWYhrcPoHGNVaoxDThK+Bw1oMazsMfG6AeDNiqrOkloKqDka"
    "So4uhTaqT3RVWiJW1GfeSor/i1Jqqk9XmgXrfoY+sveSzx1mXEp/4l0D5Bz7UAth4A1JOY"
    "hOSQlNJ52i3YRtlpyT1ouXJbN3lBXcbmYzACT0TtwWQp1bq31nfUelqy0XpVtJ4z2VnvqZ"
    "M/v0t4npRwC7W7B0hM7VRJYn+Fzp2TY8wEYpcfJ8iEDNjsGAj8cZVUcYLafwrHe0hN4mi1"
    "rSIgs0Wr9oqnQAwX7JVo27SlAKuhtTDwJdk6PRsJOUGkVPlZWTDJpJxg7rMeI6rkeLf/II"
    "2tBYn9oAktVSK0lFDOpk54QqSG7ndno4BHpyTg0ckGPBoLqm57aZEFtcVeesjtYoLm5D2W"
    "KnVn87aLVHnpdmH7nIB5xoffLppdoQq7whyuDPMRbId5Smif0GdXqGOeP/wfhPlw1Lbx7r"
    "RU7Q5zLjobbLUXncKdlhZx4alva4MoYZe4VEqyhhvtiWysG0WkPGe3wITTRBxPQr+NvVy8"
    "gtbLXuZmtb2lzZEQOazFUZWp/IzJkXE/0uhmob20bGQs8Ef0mDkEzg/ahdlKpwlpJmhHyD"
    "Z8iPyN5IAi707eGPkHjD1R6Yl9SXh6GX9OQY7jv3HGlQuLzsq8OMdnavy3H8N/a/bPH3H/"
    "NKHjgh1NY162sY+rbB+flptbkWjNyWnZRvfW3U6zOS3ZzOXqaxmQbcnxrbidcjT5SnaKFR"
    "5Hy8JQvpKnarfl/5/hiXQ5kZRroMofpTGYSFNF6ndbedQZ/iQqymd50gfEOhpfUT6eQuqT"
    "h1JcnnyaYaItdarEpennRP2kbUlN1M6eaV9vSH9Y99iPGfbfAkg30uTPz9fSRApfLEEKMl"
    "JBJJ16FDYzXLg8+I3S4Euy4PnQKfN8iPeBtzoMTktVeNRVKRtbMw0CGF0kyDqSk0RTDHdW"
    "sn6Q7/9UoMqBpYoYRzWKK70AoqcaVmIZeDkxpTAzrzigFKX/7Tea9EWwHrA/EIKlbuW5LI"
    "0QhNcRn7mxeNb6wiWghlSdtJWmrG3Dsg33MUmL28+tOirObyMqzjYWFZW2SqaJ6zlNdlw1"
    "4miu4Rbdmyo4sA8FapgZ194oM65dkhnXzmbGJXuWwVlF3wru6XBidTCCynxa6Q815c6GkL"
    "4aiX/8lHJph/L4KmRPqKA3lD9wyAcrTe7gft7hjKWPeC1QlfvylgsIk+m26N8ZJi7Xp4l8"
    "RVw5pdtKPMxwnzj33Rb9O8M9cdyThkPqpkU/d3HR9n+JMLlzZC60Pa+zpPjxbra1t1TYUP"
    "5MsJvhkdQfTEdEfoavB1fXxOUlqpkM1EFPHHZbnQ014l9/e9t+dxHdfKMPZZfelJE4HGZv"
    "vsU7+jaRuFiqicJVOQqnWas1Ncp3OjPjZBtNV1nT98h2cq2NwkvBCYnjLZtvDmXT7flCcI"
    "6btoW9nC9dB3PuCJ/R4MGbk/4gm+zy24Vwn6mmfsrYf4Cxybcohr6++RbNDem6aT3HgAh6"
    "H2udheq2PE1IyjR5quXnCVEotDIHCpVMVE0OqSodKYiebrjSPWIdzxwsJErPyo4XIOUDiD"
    "K+zIcPaVCetGeFEOdzuNAmtRayNEH8KgTxk2rcFPKkzP8AvmJm8H6uMkItP1q/WeA4lq7y"
    "EYmgispH0JtIxODoEz1C5+48mN8zzMqmn/qJssCgC8r4JCPG4kfMgbaExL0KOfvSUIpr8R"
    "dxUka/Yhe3Tg+P49ZZWdQ6K4taZ2Xp9CfGQD/hF7fMuPqS2FMHN4ladMS+NJesKcNjZ3iy"
    "CVmMMfpSY7pVPr0qzUvGHHIDTmkkDobgRpoMLgdRremPhwWciqQoA3msxNlVjDe88gCCZE"
    "iWqUW/ChgUnLMPoYT5Wymy5blFWWkhV+paPGmCpk7PcNCVuCcxO+vDLscInc2+R1HyOQre"
    "Ww12LTbxdpzFXBWVn8r+BPMHjD8+ImVFSqrGGU/KpNh0u0oJNQ4GH51hS1DOUefvijwuCM"
    "vEIrx3bmhu69+WaTgHC/0mbK9bzzBdAzvntL2XsLsoROVHz/wpM6cPWgF/9GwjAoaTP8iL"
    "45RpqfqFJd+032+ymLTfF68mtKxJNW0iwZVczE80JljxLz2JmmZ52C380lOq/Kw05uJzNl"
    "96+pGCI2vPJhI7+wEJ8Ur7AM9d60l6mz1RZW5BlraLh7D/izrNp6SOspM3d2x/hGyg5ktS"
    "9dZvY48XL6D1ssebC3/7tBmbC3+1vPAnItvQlkKen+iXnJV6iDFPZTzDwqzd3Lmck7AbaK"
    "+6du5eEnaLPcDCfOhiX6I4IbpSXt+u99wOceWfTqotEA7Ya4juYTKhLezmfrii5IQnFjn+"
    "Cc/LbPl7O8t50dDn03+0TkKg"
)

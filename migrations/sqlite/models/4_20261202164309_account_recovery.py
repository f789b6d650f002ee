from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    # The new members of sessions.revoke_reason and audit_events.action change only their
    # column comments, which SQLite does not keep: nothing to do for them here.
    return """
        CREATE TABLE IF NOT EXISTS "account_tokens" (
    "id" CHAR(36) NOT NULL PRIMARY KEY,
    "purpose" VARCHAR(32) NOT NULL /* PASSWORD_RESET: PASSWORD_RESET\nEMAIL_VERIFICATION: EMAIL_VERIFICATION */,
    "token_hash" VARCHAR(64) NOT NULL UNIQUE,
    "expires_at" TIMESTAMP NOT NULL,
    "used_at" TIMESTAMP,
    "created_at" TIMESTAMP NOT NULL,
    "user_id" CHAR(36) NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "idx_account_tok_expires_6e91bd" ON "account_tokens" ("expires_at");
CREATE INDEX IF NOT EXISTS "idx_account_tok_user_id_112c4c" ON "account_tokens" ("user_id");
        ALTER TABLE "users" ADD "email_verified_at" TIMESTAMP;
        ALTER TABLE "sessions" ADD "token_epoch" INT NOT NULL DEFAULT 0;
        -- Live sessions keep working across the deploy: each takes its user's current epoch.
        UPDATE "sessions" SET "token_epoch" = (
            SELECT "users"."token_epoch" FROM "users" WHERE "users"."id" = "sessions"."user_id"
        );"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        ALTER TABLE "users" DROP COLUMN "email_verified_at";
        ALTER TABLE "sessions" DROP COLUMN "token_epoch";
        DROP TABLE IF EXISTS "account_tokens";"""


MODELS_STATE = (
    "eJztXG1v2zYQ/iuGPnVAFrSulxbGMEC1lcSrbRWWnG6rB4KRaFuLTLl6SRp0+e8jqXfqJb"
    "ZnO7KqL4l1vCOp5yjy7njkd2Fl6ch0zqcOsoVu67uA4QqRHyn6WUuA63VMpQQX3pqM0SMc"
    "jAJvHdeGmkuIc2g6iJB05Gi2sXYNCxMq9kyTEi2NMBp4EZM8bHz1EHCtBXKXrCNf/iZkA+"
    "voG3Lo4xdBsxF0kQ6gSxszdOFvyrK+A3MDmXqq76SQFDE6cB/XjDadDvqXjJN24RZolumt"
    "cMy9fnSXFo7YPc/Qz6kMLVsgjGzaeOLVaM8DCEKS/xaE4NoeirqvxwQdzaFnUoCEX+ce1i"
    "gurQBoQ3fOMXoAhv5b0MMENwBjWQWKpAIgbAGrZmGqEgO7FMPvT369MS6MKtAGetfi5NXb"
    "i58YEpbjLmxWyFATnpggdKEvyvQRg41W0DCzePeW0M7HOxLgICddPQzYIUAHgFRYwW/ARH"
    "jhLsnj2/brEoxvxIkPc/s1w9kiH4v/CY2DorZfRvGO8dUNZ23CR8Cet4CZl9sP2iEhhjv+"
    "1o+O95vXm+BNuArxZmVpvNfQcR4sWwdL6Cy3ATwjWEPE27/8sgHihKsQcVaWRty2zIKRLW"
    "FvxcAekD5BrKEM6KHs8bAWpoo02XKKZjLdFv07w2J/NBh3W+yfsMuov9hk0F8Uj/kLXgGG"
    "A8i6bdznaOGDRQCGuGDlTMpxGrglgodSQTjDH3eN/CDLQ1rzynG+mowwUDmMp6MPEsGeQU"
    "+YDJeRB2OVA9y17hAGaG1pOTPMALv5cHNSHODkDQ6F9+tDzS0L2oOf22867zrv31503hMW"
    "1suI8q5EH1lYmWUB7pFtEP7QUkyD2yfQuMYKlZgmfAUcznpQw3n4YwPUgwFblTm9BFR1MJ"
    "IUVRx9So30vqhKtKTNqI8c9RU/10SVtD4P1OsWfWz9JY8l3rqM+NS/BNon6LkWwNYDgHoS"
    "k5AcklI6T7sF2yg7LbkHLVdu6SYvqMvYfAxG4ImoPfhYSrXurfUdtZ6WbLReFa3nfOys99"
    "TJn98lPE9KuIXa3QMkpnaqJLG+QufOyTFmArHLjxNkQgZsdgwE/rhKqjhB7T+F4z2kJnG0"
    "2lYRkNmiVXvFUyCGC/ZKtG3aUoDV0FoY+JIsnZ6NhJwgUqr8rCyYZFJOMPdZjxFVcrzbf5"
    "DG5oLEetCElioRWkooZ1MnPCFSQ/e7s1HAo1MS8OhkAx6NBVW3tbTIgtpiLT3kcjFBc/Ie"
    "S5W6s3nLRaq8dLmwfU7APOPDLxfNqlCFVWEOV4b5CLbDPCW0T+izM9Qx9x/+D8J8OGrbeH"
    "daqnabORedDZbai07hSkuLuPDUt7VBlLBLXColWcOF9kQW1o0iUp6zW2DCaSKOJ6Hfxl4u"
    "nkHrZS9zX7W9pc2REDmsxVGVT/kZkyPjfqTRzUJ7adnIWOCP6DGzCZwftAuzlU4T0kzQjp"
    "Bt+BD5G8kBRd6dvDHyNxh7otIT+5Lw9DL+nIIcx3/jjCsXFp2VeXGOz9T4bz+G/9Zsfh9k"
    "87sxS35Es8SEjgt29Dh42cbtqLLbcVrRg4oEwU5Oyza6JwvdLl9zWrL5lquvZUCWJcc3jn"
    "dKfeUr2SkEexwtC0P5Sp6q3Zb/f4Yn0uVEUq6BKn+UxmAiTRWp323lUWf4k6gon+VJHxCj"
    "c3xF+XgKqU8eSnF58mmGibbUqRKXpp8T9ZO2JTVRO3umfb0h/WHdYz9m2H8LIN1Ikz8/X0"
    "sTKXyxBClI9AWRdOpR2Mxw4Y4XbHS6oORwAR+RZg4lcerwVnvsaakKj7oqJblrpkEAo5ME"
    "mUdycpOK4c5K1g/y/W+2VDleVxHjqEbhuhdA9FSjdSyxMSdUFyY8FsfpoqzK/QbpvgjWA/"
    "YHQjDVrTyXZWeC8JTnMwdBz1pfuLzekKqTttKUtW1YtuE+Jmlx+7lVR8X5bUTF2caiotJW"
    "yWfiek6TdFiR8KThFh1HK4hMhgI1TDhsb5Rw2C5JOGxnEw6TPcvgrKJvBRFgTqwORlCZTy"
    "v9oabc2RDSVyPxj59SLu1QHl+F7AkV9IbyBw75YKbJHdzPO5yx9BFPW6pyX95yAmEy3Rb9"
    "O8PE5fo0ka+IK6d0W4mHGe4T577bon9nuCeOe9JwSN206OcuLtr+z2YmV47MVsnzOkuKH2"
    "/PpL2lwobyZ4LdDI+k/mA6IvIzfD24uiYuL1HNZKAOeuKw2+psqBF/Y+Vt+91FtKdCH8q2"
    "U5SROBxm91TiFX2bSFws1UThqhyF06zVmhrlO+2ZcbKNpqus6XtkO7nWRuF2c0LieNPmm0"
    "PZdPveas66aVvYy/nSdTDnjnA7CQ/enPQH2WSV3y6E+0w19VPG/gOMTb5FMfT1zbdoDp7X"
    "Tes5BkTQ+1jrLFS35W5CUqZJ/y3fT4hCoZXZUKhk/m9ySFVpS0H0dMOV7hHreGZjIVF6Vr"
    "a9ACkfQJTxZe6TpEF50p4VQpzP4UKb1FrI0gTxqxDET6pxU8iTMv8D+IqZwfs5IQq1/Gj9"
    "ZoHjWLrKWySCKiofQW8iEYOjT/QInbvz4PueYVY2/dRPlAUGXVDGJxkxFj9iDrQlJO5VyN"
    "mXhlJciz+JkzJ6OWDcOt08jltnZVHrrCxqnZWl058YA70ZMW6ZcfUlsacObhK16Ihd4Jes"
    "KcNjZ3iyCVmMMboAM90qn16V5iVjDrkBpzQSB0NwI00Gl4Oo1vSdbAGnIinKQB4rcXYV4w"
    "1PkoAgGZJlatHLFoOCc3a/TJi/lSJbnluUlRZypW4bIE3Q1OkZDroS9yRmZ33YZRuhs9k1"
    "HyW3fPDearBqsQ9vx6+Yq6Lyn7L/gfkDxh8fkbIiJVVjjydlUmy6XKWEGgeDj86wKShnq/"
    "N3RR4XhGViEd47NzS39W/LNJyDhX4TttetZ5iugZ1z2t5L2F0UovKtZ36XmdMHrYDferYR"
    "AcPJH+TFccq0VP3Ckm/a7zeZTNrvi2cTWtakmjaR4EpO5icaE6z4BVqiplkedgsv0EqVn5"
    "XGXHzO5gKtHyk4svZsIrGzH5AQr7QP8NyxnqS32RNV5hZkabt4CPs/qNPc0HWUlbw5Y/sj"
    "ZAM1F3TVW7+NPV48gdbLHm8O/O3TZmwO/NXywJ+IbENbCnl+ol9yVuohxjyV8QwLs3Zzv+"
    "WchN1Ae9W1c/eSsFvsARbmQxf7EsUJ0ZXy+nY953aII//0o9oC4YC9hugeJhPawm7uxRUl"
    "OzyxyPF3eF5myd/bXs6Lhj6f/gMxTq5t"
)

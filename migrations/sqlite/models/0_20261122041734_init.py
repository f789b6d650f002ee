from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        CREATE TABLE IF NOT EXISTS "users" (
    "id" CHAR(36) NOT NULL PRIMARY KEY,
    "email" VARCHAR(320) NOT NULL UNIQUE,
    "display_name" VARCHAR(100) NOT NULL,
    "password_hash" VARCHAR(255) NOT NULL,
    "role" VARCHAR(16) NOT NULL /* USER: USER\nADMIN: ADMIN */,
    "is_active" INT NOT NULL,
    "token_epoch" INT NOT NULL,
    "created_at" TIMESTAMP NOT NULL,
    "updated_at" TIMESTAMP NOT NULL
);
CREATE INDEX IF NOT EXISTS "idx_users_created_eeb5e9" ON "users" ("created_at", "id");
CREATE TABLE IF NOT EXISTS "login_failures" (
    "id" CHAR(36) NOT NULL PRIMARY KEY,
    "subject" VARCHAR(400) NOT NULL,
    "created_at" TIMESTAMP NOT NULL
);
CREATE INDEX IF NOT EXISTS "idx_login_failu_subject_1158de" ON "login_failures" ("subject", "created_at");
CREATE TABLE IF NOT EXISTS "refresh_tokens" (
    "id" CHAR(36) NOT NULL PRIMARY KEY,
    "family_id" CHAR(36) NOT NULL,
    "token_hash" VARCHAR(64) NOT NULL UNIQUE,
    "expires_at" TIMESTAMP NOT NULL,
    "used_at" TIMESTAMP,
    "revoked_at" TIMESTAMP,
    "created_at" TIMESTAMP NOT NULL,
    "user_id" CHAR(36) NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "idx_refresh_tok_family__59d0e5" ON "refresh_tokens" ("family_id");
CREATE TABLE IF NOT EXISTS "revoked_access_tokens" (
    "jti" CHAR(36) NOT NULL PRIMARY KEY,
    "expires_at" TIMESTAMP NOT NULL
);
CREATE INDEX IF NOT EXISTS "idx_revoked_acc_expires_7a55ff" ON "revoked_access_tokens" ("expires_at");
CREATE TABLE IF NOT EXISTS "tasks" (
    "id" CHAR(36) NOT NULL PRIMARY KEY,
    "title" VARCHAR(200) NOT NULL,
    "description" TEXT,
    "status" VARCHAR(16) NOT NULL /* TODO: TODO\nIN_PROGRESS: IN_PROGRESS\nDONE: DONE\nCANCELLED: CANCELLED */,
    "priority" SMALLINT NOT NULL /* LOW: 1\nMEDIUM: 2\nHIGH: 3\nCRITICAL: 4 */,
    "due_at" TIMESTAMP,
    "completed_at" TIMESTAMP,
    "version" INT NOT NULL,
    "client_mutation_id" VARCHAR(100),
    "created_at" TIMESTAMP NOT NULL,
    "updated_at" TIMESTAMP NOT NULL,
    "owner_id" CHAR(36) NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_tasks_owner_i_6fa786" UNIQUE ("owner_id", "client_mutation_id")
);
CREATE INDEX IF NOT EXISTS "idx_tasks_created_56a793" ON "tasks" ("created_at", "id");
CREATE INDEX IF NOT EXISTS "idx_tasks_owner_i_868b26" ON "tasks" ("owner_id", "created_at", "id");
CREATE INDEX IF NOT EXISTS "idx_tasks_owner_i_a9f8f6" ON "tasks" ("owner_id", "updated_at", "id");
CREATE INDEX IF NOT EXISTS "idx_tasks_owner_i_3eca97" ON "tasks" ("owner_id", "due_at", "id");
CREATE INDEX IF NOT EXISTS "idx_tasks_owner_i_526689" ON "tasks" ("owner_id", "priority", "id");
CREATE INDEX IF NOT EXISTS "idx_tasks_owner_i_516b2a" ON "tasks" ("owner_id", "status");
CREATE TABLE IF NOT EXISTS "aerich" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "version" VARCHAR(255) NOT NULL,
    "app" VARCHAR(100) NOT NULL,
    "content" JSON NOT NULL
);"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        """


MODELS_STATE = (
    "eJztW+1vmzgY/1cQnzapV7U0y6bodFKa0JVbXqaE3qa1E3LBSbyCYWDWRrv+72c7kPDekE"
    "tSEvGFhucFzO+x/by5v0XLNqDpnd540BVbwm8RAwvSHzH6iSACx1lRGYGAe5ML+lSCU8C9"
    "R1ygE0qcANODlGRAT3eRQ5CNKRX7psmItk4FEZ6uSD5GP32oEXsKyYwP5PY7JSNswCfosd"
    "tbUXchINDQAGEvQ4b4nYk4D9oEQdOIjZ0yKYvTNTJ3OO3mRulecUk2hHtNt03fwitpZ05m"
    "Nl6K+z4yTpkO400hhi57eeTT2MgDCELS4isogbg+XA7fWBEMOAG+yQAS/5z4WGe4CAHQyP"
    "BOMXzUkPFXMMKItKYNhqo2llVNE0vAqtuYmQRhwjD8/bx47goXThXZCzrX7dGbi+ZbjoTt"
    "kanLmRw18ZkrAgIWqtweK7ChBZCZxrszA2423kuFBOR0qLsBOwRoB5CKFnjSTIinZEZvL6"
    "SzAoz/aY8WMEtnHGebLpbFEhoELGnBY3iv8DWQ55hgrvH7EjAn9baDdkhYwb1a63vH+/xs"
    "HbypVC7enBfH2wGe92i7hjYD3qwM4CnFI0RcevduDcSpVC7inBdH3LXNnJktY9/iYCt0TA"
    "DrMAV6qLs/rMWbsTwquUVznZbArne43e0rg5bA/4ibzPrmOpO+mT/nm0kDIE+jfhv9yrDC"
    "pU0BBjjHc0b1Eha4p4q7MkG4w+/XR14Ohz32ZMvzfpqcoKgJjG/6lzLFnkNPhRDhZGWgJg"
    "An9gPEGnRsPWOHUTDJhjuhlQCcfsGu8D7b1d4yZSP4QzpvvG98uGg2PlARPsol5X2BPdKw"
    "xkPEOKpdyiHIgtnQxjUTyBqB6mn44xC3cfqBxhCb82D5FOCqKn15rLb7n2OTvdtWZcaROH"
    "WeoL5JbjfLhwhfFPVaYLfCt+FATgaYSzn1m8jGBHxia9h+1IARieVCaohazOq+Y2xo9bhm"
    "bfWqWD3EKGJ2PnqW8E0eIlkII9wD/eER0LArxonstcB78DIcW6B29WkETcCBTc+BIDdT6S"
    "MO0PrP4XwPqVEcbcnOAzLNsiQrSQEYTPknsXezNwVY9ewpwlc0w/NdKGYUFGL8k6LCgskk"
    "tclCdB8VBs+//wF1vhdE/EFdZqhEmSFinHUTsojKEaZijbWS30ZB8ttIJ791BHVsvjQvgi"
    "rhS3fpLkZwQr9jprLUJstdxPiF7sJdSGo8S9q9u6i9QhW8wgRYyJxr5TCPKW0T+vQOtc9a"
    "9P9BOFmaKFv7jGsdXWG/2VjD1TYbuZ6WseIwwycHUSNs4GjjmkfoaA/EsWYkqRm1CW+zwo"
    "S3zUgqWDe1fbdvXxf+ojvfJiaOa9ZWrrKV66wo308eV1aU2LvdkpFlRGW3cWVVlvILgWUq"
    "yYyjm4b2ynYhmuJPcJ5q+2aXZsPzSYcJaao0S8kueFxmldEJRb+dfjFctBQ77XGn3ZXF59"
    "fK2rnzaus69LyC3D0ldVKcwQcukSu8eiL/g6Ayaz8Qf7VUnr+JXRoHlsMfVipUkYy+Ss40"
    "N4aqSI2Rt+8y9qewrZe/Iy17h9vdgW5F+xEv/JZuIoiJZvmE9yC18FzrC0dfT4ToM4rZ8S"
    "53im3QweWwHBfZLiLzTCb1zMT36vZYNTZRgkjeIbqcil2ocIStMWmt1phU0BqT0q2x6MhS"
    "OKvwKefQVkJtI7QPKLWXv6oxjxRC+qbf/vo25pV6w8HHUDxigk5veJlAPthpMif3yydEV9"
    "p7PCOqDrvDkhsI12kJ7HqHlYH2eTT8OJLH45YQubnDXeqfWwK73uFOe9CRez252xKWP8UN"
    "1sv2T5RGPUfqdOPLNouq7++Yo1TSYL3hF4rdHe7LXeWmT/Xv8LXy8bolXFDTjBRV6bR7La"
    "GxpkUWZyEvpPfN5TFIdlN0AnLcb/d66WOQK49eJpheadXFyKoF0rFipG05rAywUTkyoVtb"
    "usqW/gVdLzPayD0hHtHY37Z5vquYbtunw9OpVol4OVv7GMK5PfxPVd1AyUf/iBso9cH8I7"
    "N63sH8qNV5gahk3yyqUzfOihtnywJc3Tkr6pxFp1SVWmdt6CJ9JmaUowPOSVFBGqxkKnO4"
    "NTcazVzPGYFoYL7qngXcSiCaX7vNjfPzo9H8QP8o6re7+C9ztqhKIByIHyG6u4nwbUwgzg"
    "j0/h4PB3nFiKVKMsJDOhH+FUzk7SxpfR2vz8AoLo8nK+GJ8IA94DIrPtinM3v+DyNUGig="
)

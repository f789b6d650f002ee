from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    # aerich 0.10.1 wrote the SQLite statements (CHAR(36) ids, JSON, TIMESTAMP) here ahead
    # of the PostgreSQL ones, in upgrade and downgrade; only the PostgreSQL ones are kept.
    return """
        CREATE TABLE IF NOT EXISTS "audit_events" (
    "id" UUID NOT NULL PRIMARY KEY,
    "actor_id" UUID,
    "action" VARCHAR(40) NOT NULL,
    "target_type" VARCHAR(16) NOT NULL,
    "target_id" UUID NOT NULL,
    "changes" JSONB NOT NULL,
    "request_id" VARCHAR(128),
    "client_address" VARCHAR(64),
    "created_at" TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS "idx_audit_event_created_e5b726" ON "audit_events" ("created_at", "id");
CREATE INDEX IF NOT EXISTS "idx_audit_event_actor_i_29ea79" ON "audit_events" ("actor_id", "created_at", "id");
CREATE INDEX IF NOT EXISTS "idx_audit_event_target__abebb1" ON "audit_events" ("target_id", "created_at", "id");
COMMENT ON COLUMN "audit_events"."action" IS 'TASK_CREATED: task.created\nTASK_UPDATED: task.updated\nTASK_STATUS_CHANGED: task.status_changed\nTASK_DELETED: task.deleted\nUSER_CREATED: user.created\nUSER_UPDATED: user.updated\nUSER_ROLE_CHANGED: user.role_changed\nUSER_DEACTIVATED: user.deactivated\nUSER_REACTIVATED: user.reactivated\nUSER_PASSWORD_CHANGED: user.password_changed\nLOGIN: session.login\nLOGOUT: session.logout\nREFRESH_TOKEN_REUSED: session.refresh_token_reused';
COMMENT ON COLUMN "audit_events"."target_type" IS 'TASK: task\nUSER: user\nSESSION: session';
        ALTER TABLE "tasks" ADD "client_mutation_fingerprint" VARCHAR(64);"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        ALTER TABLE "tasks" DROP COLUMN "client_mutation_fingerprint";
        DROP TABLE IF EXISTS "audit_events";"""


MODELS_STATE = (
    "eJztXFtv4jgU/itRnmakbtVStlOh1UoU0pYtkIqEmdGUUeQmBrINDpNLWzTb/762c3cuBQ"
    "ZoYPJCm3Oxne/4cs6xnZ/8zNSgYR8PbWjxDe4nj8AM4n8S9COOB/N5RCUEBzwYVNDFEpQC"
    "HmzHAqqDiWNg2BCTNGirlj53dBNhKnINgxBNFQvqaBKRXKT/cKHimBPoTGlD7r9jso40+A"
    "Jt8njPqxYEDtQU4JDKdI3/TkTmj8pYh4aWaDtmYhalK85iTmnDYad9RSVJEx4U1TTcGYqk"
    "5wtnaqJQ3HV17ZjoEN4EImiRymOvRlruQxCQvLfABMdyYdh8LSJocAxcgwDE/zV2kUpw4X"
    "ygdc0+RvBZ0bW//RbGpBWlL8qKJMiKwq8Aq2oiYhIdOQTDn69euREulMqTClo3zcGHs/OP"
    "FAnTdiYWZVLU+FeqCBzgqVJ7RGDDGdCNNN6tKbCy8Q4VGMhxU7cDdgDQFiDlZ+BFMSCaOF"
    "P8eFY7KcD4c3PgwVw7oTibeLB4Q6jvs2oej+Ad4avp9twAC4U+rwAzq7cZtANCBHc01neO"
    "9+nJMnhjqVy8KS+J9xzY9rNpacoU2NNVAE8pHiDitT//XAJxLJWLOOUlEbdMI6dnC8idUb"
    "A7uE0AqTAFeqC7O6z5oSQMVpyiqU6DI78j1Gz3Ov0GR//w6/T682U6/Xl+nz9nDaDbCl63"
    "9acMK1yaGGCAclbOuB5jgQesuC0TBDP8btfIS1HskpJntv3DoISOzGA87F0KGHsKPRbSHU"
    "ru9GUGcMd8hEiBc1PNmGE6yMmGm9FiAMdvsC28T7Y1t0xIC/6ondY/1S/OzusXWIS2MqR8"
    "KrBHGtaki5hEtY05jj6D2dAmNRlkNV/1OPhnH6dx/IKaiIyFP3wKcJU7PUGSm727RGdvN2"
    "WBcGqUumCoH9jpJiyE+9KRbzjyyH0T+wLrYIZy8jeetAm4jqkg81kBWsyXC6gBagmru3Nt"
    "TasnNSurl8XqAUYxs9PWk4Bv/BiLQgjhAaiPzwC7XQlObK4F9qOdsbD5ale3A2gACmy6D/"
    "ixmYyL2EPrvwb9PaDGcTRrZh6QadasNmMpAIEJfSVSN6nJx6prTnR0hSM814J8RkIhwT8q"
    "SiwYRFIZe6K7yDDY7sO/UKVzQWw9qNIMpUgzxIyzbEAWUznAUKy+VPBbLwh+6+ngt/KgDm"
    "0tzfOgVlhLt7lcDOAYv8dUJqFN1nKR4BcuF5YnqdAoafvLRbUqlGFVGIOZbiyU1TBPKG0S"
    "+vQMtctc9K8gzKYmVs19JrUOLrF/Xl9iqT2v5660hJWEGb7MdWyENRbapOYBLrR7srBmBK"
    "kZuQl7vcSEvUlPyh83lX03b9/KX86fQQ/LX2ZGtbWizxFT2a7HUZah/IbLkQo/kuimob0y"
    "LahP0C1cpDYEs5N2wcmV/YQ0lbTDZAs8h/FGvEPhd8dvDL3NplZTajXbAv/6PvGcBG3be+"
    "NUKBewjoqiONsTquK33yN+q9bP33H9NIDtKGu6xqxu5R+X2T/erzC3JNmavbOyBZ/Mx7VG"
    "c1KzGsvlt7KClyXb8+LWOq/HFrJWrnA3Vua74rU4lBuc93eEBsLVQJBuFFm8FfrKQBhKQr"
    "vBZVFH6K4pSV/EQVvB3lH/msixFFye2BUifvxphLC15KEUcZPP/HIuBHM6eanDyQVnk9kk"
    "Jo1BcByAVtqWTWqV2P5lOiOrGjoGjAxXPKIzjrPkw53WPDzIN5+fL3OKpyRuygFleN4B0X"
    "1N8NCzcBnZneCMXH5qJzyIt9m8zj1vPiOvI/hT3cx16IE+Jbgk9sY9siPunjkKGlA1XFeS"
    "Mrd009KdRZwW1Z9ZdMjOriNkpysLWYW14mHiuHZ1Tq0cGS1Hd/Jus+RsnQcKB3hGrbbUGb"
    "VawRm1WvqMWrxlKZxl+JJze4JROwQnqCi6FL7KicAygPRDr/n1YyK47Ir960A8ZoJWV7xk"
    "kPdnmszO/XboF2nv8LKWLLbFFScQqtPgyO8IdfrK3UC8xgGe1OBiDyPUxmF2gyO/I9Rq9l"
    "tCt0vitPDfdUK0zV/tiq8cqWtGb9ssrr67+0a1FQ3WFb9g7EaoJ7Q7wx7WH6GbzvUNDnmx"
    "aQYdudNqdhtcfUmLeJeSzmqfzsP7SOSh6CqS1Gt2u+n7SNGKvkpOLNKq8mFlzoep5mxOnP"
    "K1dq8Y3crSZbb0E7TsTG8j96pmTGN30+bptny6TV/TTIdpK/jL2dqH4M7t4OMGLHhj3B5o"
    "4VV+tRTuG8UcnjE2n2CsTj7kQ3+4Jx+qu8qHZvUMB8JvfWR1mqpbcTchrlOdGC3eTwhToa"
    "XZUCjlkdF4lyrTlkLT1XRHeIK04amNhRj3qGh7ARA5BRLB9/kcHUnK4/rMAOJsCQdYuNRc"
    "kSqJX4YkftyMy0Ie1/kF4EvmBm/mUiFQs7P1yyWOI+0yb5HwclO6VVoDATscbWxHYD8e++"
    "N7hChveNeO8XyHzuexx32oiJcxV9QpwOFVINkWukJUijeJYx75tlhUO9k8jmqnvLB2ygtr"
    "p7zkQSQqQD6sFtVMpdpCsyV3PsdK0SD9/le8pJSMlZJJH42iguH388Jau+I1+VKafyfgmH"
    "4QhFLpqawY2XSdvNNZgVTierhiQXKEeJ0UfX25ry4UfHSBjQT9FYF26jVHCFNE6YeJ13m9"
    "7uBZf4QkQZI6YmTucuyfJJbrZZeChFLlvLOZDzq8M7YR/5HEfk7KI1JhI19ddbj/OEO3t5"
    "ZWjfk1D65uODqyj0l97+HTEIiKt3XZHVzGHqQAdlvXghgMO7uT5+cAk1qHl/I7rV0sM5nU"
    "LvJnE8KrjnFWWdZSTuZ7mm8r+feMmtDS1SmflcfwOEeFOYxIpjR3X3P3ODMn/oztTd9iv5"
    "Zc2OZA2Mj2Zn4yIXf3OH+yz98+LpUvX6YLEmRQrYCwL36A6G5n39hETuY1nwKfPVLZvc/+"
    "PkHQxrzzd13MXv8HidO35g=="
)

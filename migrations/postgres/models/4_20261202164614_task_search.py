from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    # aerich 0.10.1 wrote each statement here three times (as in migration 1); one of each
    # is kept. The search part is by hand: a generated tsvector of title and description
    # ('simple': no stemming, no stop words, like the SQLite FTS5 index) and its GIN index.
    # Adding a STORED generated column computes it for every existing row (the backfill).
    return """
        DROP INDEX IF EXISTS "idx_tasks_owner_i_516b2a";
        CREATE INDEX "idx_tasks_status_e3ba68" ON "tasks" ("status", "id");
        CREATE INDEX "idx_tasks_owner_i_1a17bd" ON "tasks" ("owner_id", "status", "id");
        CREATE INDEX "idx_tasks_title_e1379c" ON "tasks" ("title", "id");
        CREATE INDEX "idx_tasks_owner_i_10f019" ON "tasks" ("owner_id", "title", "id");
        ALTER TABLE "tasks" ADD "search_vector" TSVECTOR GENERATED ALWAYS AS (
            to_tsvector('simple', coalesce("title", '') || ' ' || coalesce("description", ''))
        ) STORED;
        CREATE INDEX "idx_tasks_search_vector" ON "tasks" USING GIN ("search_vector");"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        DROP INDEX IF EXISTS "idx_tasks_search_vector";
        ALTER TABLE "tasks" DROP COLUMN IF EXISTS "search_vector";
        DROP INDEX IF EXISTS "idx_tasks_owner_i_10f019";
        DROP INDEX IF EXISTS "idx_tasks_title_e1379c";
        DROP INDEX IF EXISTS "idx_tasks_owner_i_1a17bd";
        DROP INDEX IF EXISTS "idx_tasks_status_e3ba68";
        CREATE INDEX "idx_tasks_owner_i_516b2a" ON "tasks" ("owner_id", "status");"""


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
    "Mrd009KdRZzm6I53CSEg4I7ruHacEjUxs/aQnd2MkJ1uT8jKaljITLUw5CSbWiXFypAUC6"
    "219O57oHCAx9xqSx1zqxUcc6ulj7nFW5bCWYYvORcwGLVD8KOKAlThq5yITQNIP/SaXz8m"
    "4tOu2L8OxGMmaHXFSwb5aL5ZJ3qMtHd430sW2+KKEwjVaXDkd4Q6feVuIF7jGFFqcLGHEW"
    "rjSL3Bkd8RajX7LaHbJaFe+O86Ud7mb4fFV5bUTaW3bRZX392VpdqKBuuKXzB2I9QT2p1h"
    "D+uP0E3n+gZHzdg0g47caTW7Da6+pEW8e01ntU/n4ZUm8lB0m0nqNbvd9JWmaMVfJa0WaV"
    "UptTKn1FRzNid+/VobYIxuZekyW/oJWnamt5F72zOmsbtp83RbPt2mb3qmI70V/OVs7UNw"
    "53bwfQQWvDFuD7TwKr9aFviNYg7PGJvPUVaHJ/KhP9zDE9V150OzeoYD4bc+sjpN2K24IR"
    "HXqQ6dFm9JhAnR0uxJlPLUabxLlWlXoulquiM8Qdrw1N5EjHtUtEMBiJwCieD7fNGOpOZx"
    "fWYAcbaEAyxcaq5IlcQvQxI/bsZlIY/r/ALwJXODN3MvEajZ2frlEseRdpm3SHi5Kd0qrY"
    "GAHY42tiOwH4/98T1ClDe8a8d4vkPn89gTQ1TEy5gr6hTg8CqQbAtdISrFm8Qxj3yeLKqd"
    "7D9HtVNeWDvlhbVTXvIsExUg32aLaqZSbaHZkjufY6VokH5CLF5SSsZKyaRPV1HB8BN8Ya"
    "1d8Zp8bM2/VnBMvylCqfRgV4xsuk7eAa9AKnHDXLEgOYW8Toq+vtyHGwq+28BGgv6KQDv1"
    "miOEKaL0w8TrvF538Kw/QpIgSR0xMnc59k8Sy/WyS0FCqXLe2cwHHd4Z24j/SGI/J+URqb"
    "CRr6463H+codtbS6vG/JoHVzccHdnHpL738GkIRMXbuuwOLmMPUgC7rWtBDIad3cnzc4BJ"
    "rcNL+Z3WLpaZTGoX+bMJ4VUnQassaykn8z3Nt5X8k0hNaOnqlM/KY3ico8IcRiRTmuuzuX"
    "ucmRN/xvamb7FfSy5scyBsZHszP5mQu3ucP9nnbx+Xypcv0x0LMqhWQNgXP0B0t7NvbCIn"
    "86ZQgc8eqezeZ3+fIGhj3vm7Lmav/wN32MrV"
)

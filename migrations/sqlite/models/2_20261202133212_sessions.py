from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    # The backfill and the downgrade's revoked_access_tokens are written by hand.
    return """
        CREATE TABLE IF NOT EXISTS "sessions" (
    "id" CHAR(36) NOT NULL PRIMARY KEY,
    "created_at" TIMESTAMP NOT NULL,
    "last_used_at" TIMESTAMP,
    "expires_at" TIMESTAMP NOT NULL,
    "revoked_at" TIMESTAMP,
    "revoke_reason" VARCHAR(32) /* LOGOUT: LOGOUT\nREFRESH_TOKEN_REUSED: REFRESH_TOKEN_REUSED\nPASSWORD_CHANGED: PASSWORD_CHANGED\nROLE_CHANGED: ROLE_CHANGED\nSTATUS_CHANGED: STATUS_CHANGED */,
    "user_agent" VARCHAR(255),
    "client_address" VARCHAR(64),
    "user_id" CHAR(36) NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "idx_sessions_expires_6bcc94" ON "sessions" ("expires_at");
CREATE INDEX IF NOT EXISTS "idx_sessions_user_id_80072d" ON "sessions" ("user_id");
-- Live sign-ins (a refresh token still unspent, unrevoked, unexpired) become sessions, so
-- the deploy signs nobody out; tokens of any other family are refused from now on.
INSERT INTO "sessions" ("id", "user_id", "created_at", "expires_at")
SELECT "family_id", "user_id", MIN("created_at"), MAX("expires_at") FROM "refresh_tokens"
WHERE "family_id" IN (SELECT "family_id" FROM "refresh_tokens"
                      WHERE "used_at" IS NULL AND "revoked_at" IS NULL
                      AND "expires_at" > CURRENT_TIMESTAMP)
GROUP BY "family_id", "user_id";
        ALTER TABLE "refresh_tokens" DROP COLUMN "revoked_at";
        DROP TABLE IF EXISTS "revoked_access_tokens";"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        CREATE TABLE IF NOT EXISTS "revoked_access_tokens" (
    "jti" CHAR(36) NOT NULL PRIMARY KEY,
    "expires_at" TIMESTAMP NOT NULL
);
CREATE INDEX IF NOT EXISTS "idx_revoked_acc_expires_7a55ff" ON "revoked_access_tokens" ("expires_at");
        ALTER TABLE "refresh_tokens" ADD "revoked_at" TIMESTAMP;
        DROP TABLE IF EXISTS "sessions";"""


MODELS_STATE = (
    "eJztXFtv2kgU/iuWn1opG6WE0gqtViLgJGwBV2C2VUNlTewBvDFjao+boDb/fWfG92swC9"
    "S4fknic7HH35mZc/GZ/OBXhgp163xqQZNvcz94BFaQ/BGhn3E8WK8DKiVgcK8zQZtIMAq4"
    "t7AJFEyIc6BbkJBUaCmmtsaagQgV2bpOiYZCBDW0CEg20r7ZUMbGAuIlG8jdV0LWkAqfoE"
    "Uv73jFhABDVQaYPkxT+a9UZP0gzzWoq5GxEyZhMbqMN2tGm077vWsmSYdwLyuGbq9QIL3e"
    "4KWBfHHb1tRzqkN5C4igSR8eejU6chcCj+S8BSFg04b+8NWAoMI5sHUKEP/n3EYKxYVzgd"
    "ZU6xzBR1lT/3JHGJKW5ZEoyRNBkmW+AKyKgahJNIQphj+enfsGuDAqTx/Qve2MX122XjMk"
    "DAsvTMZkqPHPTBFg4KgyewRgwxXQ9CTe3SUw0/H2FWKQk6EeBmwPoANAyq/Ak6xDtMBLcn"
    "nZuMjB+J/O2IG5ccFwNshicZbQyGU1HB7FO8BX1ay1DjYyuy4Ac1xvP2h7hADuYK0fHe83"
    "F9vgTaQy8Wa8KN5rYFmPhqnKS2AtiwCeUKwg4o23b7dAnEhlIs54UcRNQ8+Y2QKyVwzsPh"
    "kTQApMgO7pHg9rfjoRxgW3aKbT5ujPGer0hv1Rm2O/+F1mfWubSd/KnvOtuAE0SyZ+W/ue"
    "YoUrgwAMUIbnDOvFLHBPFA9lAm+HP66PvBLFAb3zyrK+6YzQl2IYT4dXAsGeQU+ENMzI/Z"
    "EUAxwbDxDJcG0oKTtMH+F0uGNaMcDJGxwK74tD7S0LOoI/Gm+a75rvL1vN90SEjdKnvMux"
    "RxLWaIgYRbVHOFhbwXRoo5oxZFVX9dz74xS3cfKCqoj0jbt8cnCV+kNhInWGHyOTvdeRBM"
    "ppMOomRn0V3278m3Cf+tItRy+5L+JIiAeYvpz0hadjAjY2ZGQ8ykANxXIe1UMtYnV7re5o"
    "9ahmbfWyWN3DKGR2Nnqa8M0fQlkIJdwD5eERkLArwgnttcB6sFIcm6t2/WEMdcCATc4BNz"
    "eTyC1O0PrP3nz3qGEcjYaRBWSStWqs4hSAwIK9En02fZKL1cBYaOiaZHi2CfmUgkKEf5ZX"
    "WNCppDx3RI9RYbDs+3+hwvaCkD+oywylKDOEjLNtQhZSqWAq1twq+W3mJL/NZPJbR1BV86"
    "VZEVQBX3pIdzGGc/IeS4mmNmnuIsLPdRemIymzLOnw7qL2CmXwCnOw0vSNXAzziNI+oU/u"
    "UMesRf8fhOOliaK1z6hW5Qr7reYWrrbVzPS0lBWFGT6tNWKEHRxtVLOCjvZEHGtKkppSm7"
    "B2K0xY+4yk3HVT23f/9q3j5ewdtFrxcmxVmwVjjpDKYSOOsizlF0KORPoRRTcJ7bVhQm2B"
    "PsBN4oNgetHO61w5TUgTRTtCNsGjn2+EJxR5d/LG0PnY1O1Mup2ewD//mnxuAi3LeeNEKu"
    "exzvKyOMsRqvO33yN/q/3n7+g/dWBhecfQOK5bx8dljo9PK80tSbXm5Kxswu/Gw06rOapZ"
    "r+XyW1kmbslyorid+vXiN9mpVngcK/MD8UacSm3O+T1DY+F6LExuZUn8IIzksTCdCL02l0"
    "adoY+dyeSTOO7JJDoa3VC5OIXcTxwIAT98NUPEWtJ0EnCj1/x2IUSsO3mr5uSc3uR4EZPl"
    "ICQPQIU+y0a1Smz/MvXIKrpGAKPLlazolHaWbLiTmtWDfP/1+TKXeEoSplSowvMLED3VAg"
    "/rhUup7ng9ctmlHb8Rb791nTveeETORHC3upWNWUOf7B0Se+Ec2Rl3F2sF9agqeVaUsjY1"
    "w9TwJkwLnp96a5+d/gyfnXyYz8p9Klkm2LbqPrVyVLSwhrNOs2R8OvcUKtij1tiqR62R06"
    "PWSPaohUeWwFmCTxmnJ2JqVQiC8rJL4bMUSSw9SF8NO59fR5LLgTi68cRDJugOxKsY8u5O"
    "kzq5X079Au0jHtaSxJ5YcANhOm2O/pyh/kj+OBZvSII3aXOhixnqkTS7zdGfM9TtjLrCYE"
    "DzNP/PXVK0/R/tCnuOxDGjl20WVj/eeaNGQYMNxE8EuxkaCr3+dEj0Z+i2f3NLUl5imnFf"
    "6nc7gzbX3NIizqGky8a7ln8eiV7kHUWaDDuDQfI8UuDRi9TEAq26HlbmephirNY0KN/p61"
    "VMt7Z0mS39HZpWarSReVQzpHG8bfPNoWK6fR/TTKZpBeLldO0qhHNH+OcG9ff2bPSr+729"
    "PiFbNaunuC139IHVWYGoYA07rFP3KeZXsf0CXGnK2KVsVAxPqTIVsjvQ1JQln1LKdjlnec"
    "VsEMiUpksxMxpNXc8pgahrvvIeytlLIJpdu82M87Oj0exAvxL120N8yqaLqgDCrngF0T1M"
    "hG8gnNqQ8fdEHGUVI3yVeISnKZj7yemadbCk9dd4fQpGfnk8XgmPhQf0Bldp8cExndnzf9"
    "/tyAM="
)

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        DROP INDEX IF EXISTS "idx_tasks_owner_i_516b2a";
        CREATE INDEX "idx_tasks_status_e3ba68" ON "tasks" ("status", "id");
        CREATE INDEX "idx_tasks_owner_i_1a17bd" ON "tasks" ("owner_id", "status", "id");
        CREATE INDEX "idx_tasks_title_e1379c" ON "tasks" ("title", "id");
        CREATE INDEX "idx_tasks_owner_i_10f019" ON "tasks" ("owner_id", "title", "id");
        -- Search: an FTS5 index over title and description whose text stays in "tasks"
        -- (external content), keyed by the tasks' rowid. Triggers keep it in step with every
        -- INSERT, UPDATE and DELETE (also cascades); the existing rows are indexed here. A
        -- VACUUM may renumber the rowids of a table without an INTEGER PRIMARY KEY: run
        -- INSERT INTO tasks_fts(tasks_fts) VALUES ('rebuild') after one. unicode61 without
        -- stemming, like PostgreSQL's 'simple' configuration.
        CREATE VIRTUAL TABLE "tasks_fts" USING fts5(
            title, description, content='tasks', tokenize='unicode61 remove_diacritics 2'
        );
        INSERT INTO "tasks_fts" ("tasks_fts") VALUES ('rebuild');
        CREATE TRIGGER "tasks_fts_insert" AFTER INSERT ON "tasks" BEGIN
            INSERT INTO "tasks_fts" (rowid, title, description)
                VALUES (new.rowid, new.title, new.description);
        END;
        CREATE TRIGGER "tasks_fts_delete" AFTER DELETE ON "tasks" BEGIN
            INSERT INTO "tasks_fts" ("tasks_fts", rowid, title, description)
                VALUES ('delete', old.rowid, old.title, old.description);
        END;
        CREATE TRIGGER "tasks_fts_update" AFTER UPDATE OF "title", "description" ON "tasks" BEGIN
            INSERT INTO "tasks_fts" ("tasks_fts", rowid, title, description)
                VALUES ('delete', old.rowid, old.title, old.description);
            INSERT INTO "tasks_fts" (rowid, title, description)
                VALUES (new.rowid, new.title, new.description);
        END;"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        DROP TRIGGER IF EXISTS "tasks_fts_update";
        DROP TRIGGER IF EXISTS "tasks_fts_delete";
        DROP TRIGGER IF EXISTS "tasks_fts_insert";
        DROP TABLE IF EXISTS "tasks_fts";
        DROP INDEX IF EXISTS "idx_tasks_owner_i_10f019";
        DROP INDEX IF EXISTS "idx_tasks_title_e1379c";
        DROP INDEX IF EXISTS "idx_tasks_owner_i_1a17bd";
        DROP INDEX IF EXISTS "idx_tasks_status_e3ba68";
        CREATE INDEX "idx_tasks_owner_i_516b2a" ON "tasks" ("owner_id", "status");"""


MODELS_STATE = (
    "eJztXG1v2zgS/iuGPnWBbNC63rQIDgeotpL4aluFJae7Wy8ERaJtXWTKq5ekQS///Ujqja"
    "ReInttR1b1JbGGMyT1DEXODIf8IawdE9je+cwDrnDZ+SFAfQ3QD4Z+1hH0zSalYoKv39mE"
    "MUAchKLfeb6rGz4iLnTbA4hkAs9wrY1vORBRYWDbmOgYiNGCy5QUQOvvAGi+swT+inTk21"
    "+IbEETfAcefvwmGC7QfWBquo8bs0zhL8yyudcWFrBNpu+oEBURuuY/bQhtNhsOrggn7sKd"
    "Zjh2sIYp9+bJXzkwYQ8CyzzHMrhsCSBwcePUq+GeRxDEpPAtEMF3A5B030wJJljogY0BEv"
    "61CKCBcelEQFumdw7Bo2aZ/456SHFr2kRWNUVSNU3YAlbDgVglFvQxhj+ew3pTXAhVwA30"
    "b8Tpm/cXvxAkHM9fuqSQoCY8E0Hd10NRoo8UbLDWLTuLd3+lu/l4JwIc5KirhwE7BugAkA"
    "pr/btmA7j0V+jxffdtCca34jSEufuW4OygjyX8hCZRUTcsw3in+JqWt7H1J408bwEzL7cf"
    "tGNCCnf6rR8d73dvq+CNuArxJmUs3hvd8x4d19RWurfaBvCMYAMR7/72WwXEEVch4qSMRd"
    "x17IKRLcFgTcAeoj7p0AAZ0GPZ42EtzBRpuuUUTWQuO/jvHIqD8XBy2SH/hF1G/UWVQX9R"
    "POYveAVYnobWbeshRwufHASwDgtWTlqO08AdEjyUCuIZ/rhr5CdZHuGa1573t00IQ5XDeD"
    "b+JCHsCfSIyfIJeThROcB95x5ADWwcI2eGGUI/H25OigMcvcGh8H57qLlliXvwa/dd70Pv"
    "4/uL3kfEQnqZUD6U6CMLK7EstAfgWog/thRZcAcIGt9agxLThK+Aw9mMajiPf1RAPRqwdZ"
    "nTS0BVh2NJUcXxF2akD0RVwiVdQn3iqG/4uSappPN1qN508GPnT3ki8dZlwqf+KeA+6YHv"
    "aNB51HSTxiQmxyRG56xbsI2yWck9aLl2Szd6QVOG9lM0Ak9E7dHHUqr1YGPuqHVWstV6Xb"
    "Se87GT3mMnf3FPeZ6YcKcb9486MrWZEmp91b17L8eYicSuPk+BrRNgs2Mg8sdVVMUJav85"
    "Hu8xlcbR6TpFQGaL1t01T9GhviSvhNvGLUVYjZylBa/Q0hm4QMgJIjHlZ2XBJBtzaouQ9R"
    "hRJS+4+y8wyFxArQdtaKkWoSVKOVWdcEqkge53r1LAo1cS8OhlAx6tBdW0tbTIgtpiLT3k"
    "cjEFC/QeKxW7s3nLBVNeuly4IadGPOPDLxftqlCHVWGhry37SdsOc0Zon9BnZ6hj7j/8E4"
    "T5cNS28W5WqnGbORe9CkvtRa9wpcVFXHjq+8ZCStglLsVINnChPZGFtVJEKvB2C0x4bcTx"
    "JPTb2svFM2iz7GXuq3a3tDkokcNaHHX5lF8wOTLuB4tuFtorxwXWEn4GT5lN4PygXZytdJ"
    "qQZoJ2iOzqj4m/QQ8o9O7ojUG4wdgXlb44kITn1/HnFOB54RtnXLm46KzMi/NCptZ/+zn8"
    "t3bz+yCb361Z8jOaJbbu+dqOHgcv27oddXY7Tit6UJMg2Mlp2QUPaKHb5WtmJdtvuf5a1t"
    "Cy5IXG8U6pr3wlO4Vgj6NlYSRfyzP1shP+n8OpdDWVlBtNlT9LE20qzRRpcNnJo87hF1FR"
    "vsrTgYaMzsk15uMpqD55JKXl9NMcIm2pMyUtZZ+p+lHbkkrVTp5xX29Rf0j3yI85DN9Ck2"
    "6l6R9fb6SpFL8YRYoSfbVEmnkUqhku3PGCSqcLSg4X8BFp4lAipw5utcfOStV41NUpyd2w"
    "LQQYniTQPJKTm1QMd1ayeZDvf7OlzvG6mhhHDQrXvQKipxqtI4mNOaG6OOGxOE6XZFXuN0"
    "j3TXAeYTgQoqluHfgkO1OLT3m+cBD0rPONy+uNqSZqi6VsXMtxLf+JpvmWH54iiglo4PqB"
    "R1PSLua2nhTndyMpzvYnKcrrWFKY6WFSwna1jXDWIsIZa6tyKkUs0MCcxW6lnMVuSc5iN5"
    "uzSPcsg7MKvhcEkTmxJthRZW6x9LvKeMQxpG/G4u+/MF7xSJ5cx+yUCvoj+ROHfDrf7OKz"
    "ptJHPLCpygN5ywmEyFx28N85RF7bl6l8jbxB5bJDPczhQJ4g1w//ncO+OOlLoxH29JKfu3"
    "h5+z/eSa8smd2Wl3VGix9v26W7pcJG8leE3RyOpcFwNkbyc3gzvL5BXjNSzXSoDvvi6LLT"
    "q6iRcG/mfffDRbItgx/KdmSUsTgaZbdl0hV/m2BeKtUG8uocyDOc9Qbb9Tttu3GyrabrrO"
    "kH4Hq51kbhjjUlcbxp892hbLp971ZnPb0t7OV86SaYc0e44IQHb4H6A1y0ym8XBX6hmuYp"
    "Y/8xyjZloxj65qZstGfXm6b1HAMi6n2qdRKw23JDgpZpM4jLtySSgGht9iRqmUJMD6k67U"
    "qIgWn50gMgHc/sTVClZ2U7FDrm0wBmfJ0rKXFoHrXnxBDnc/i6i2otZGmD+HUI4tNqrAo5"
    "LfMPgK+ZGbyfQ6a6kR+trxY4TqXrvEUiqKLyWetPJWRwDJAede/+PPq+55CUzb4MqLLIoI"
    "vK+DwlwhJGzDVjpSP3KuYcSCMprSWcxFEZvl8wbR3vP6etk7KkdVKWtE7K2AwqwoAvV0xb"
    "JlwDSeyrw1uqFhOQOwDpmjI8boYnm9NFGJM7NNlW+QwtlheNOeBHnNJYHI60W2k6vBomtb"
    "LXukWciqQoQ3mipAlahDc+jKJF+ZQk2Qvf1xgVnJMrauIUMIbsBH5RYlvMxVxYgJrA2ddz"
    "GHUl7UnKTvqwyzZCr9pNISUXhfDearRqkQ9vx6+Yq6L2n3L4gYUDJhwfibISJdVjj4cxKa"
    "ouV4xQ62Dw0RkyBeVsdf5HkScFYZlUhPfOLcPv/K9jW97BQr+U7XUXWLZvQe8ct/cadheG"
    "qHzrmd9l5vSBK+C3nl2AwPDyB3lxnJKVal5Y8l33Y5XJpPuxeDbBZW22ahsJruVkfqIxwZ"
    "rfwSUahhNAv/AOLqb8rDTmEnK2d3D9TMGRTeAiiZ39AEq81j7ASyeDaG+zL6rELcjSdvEQ"
    "9n/Wp73k6ygreXtM92fIBmrv+Gq2flt7vHgCbZY93p4Z3KfN2J4ZbOSZQRG4lrES8vzEsO"
    "Ss1ENMeWrjGRZm7eZ+yzkJu5H26mvn7iVht9gDLMyHLvYlihOia+X17XrO7RC3BuCPaguE"
    "I/YGonuYTGgH+rl3X5Ts8KQix9/heZ0lf297Oa8a+nz+P0qVwVw="
)

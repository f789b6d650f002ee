from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    # aerich 0.10.1 wrote each CREATE INDEX three times here (twice plain, once IF NOT
    # EXISTS), which fails on PostgreSQL; one of each is kept.
    return """
        CREATE INDEX "idx_tasks_updated_9a9606" ON "tasks" ("updated_at", "id");
        CREATE INDEX "idx_tasks_priorit_a4da34" ON "tasks" ("priority", "id");
        CREATE INDEX "idx_tasks_due_at_aec118" ON "tasks" ("due_at", "id");"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        DROP INDEX IF EXISTS "idx_tasks_due_at_aec118";
        DROP INDEX IF EXISTS "idx_tasks_priorit_a4da34";
        DROP INDEX IF EXISTS "idx_tasks_updated_9a9606";"""


MODELS_STATE = (
    "eJztW1tv2kgU/iuWn1opG6UOpRVareSA07DlUoGzrZpU1sQeYBozpvY4Cermv+/M4PstmA"
    "VikF8cfOYcz/g7njnX/BbnlgFN5/TagbbYEn6LGMwh/RGjnwgiWCxCKiMQcGdyRpdycAq4"
    "c4gNdEKJE2A6kJIM6Og2WhBkYUrFrmkyoqVTRoSnIcnF6JcLNWJNIZnxhdz8oGSEDfgEHX"
    "Z7I+o2BAQaGiBsMmSIPxjL4l6bIGgasbXTQTrE6RpZLjjt+rrbueScbAl3mm6Z7hyH3Isl"
    "mVk4YHddZJwyGTY2hRjabPLIq7GVexD4pNVbUAKxXRgs3wgJBpwA12QAiX9OXKwzXAQPaG"
    "Q4pxg+asj4y1thhFvTBkNVGyuqpoklYNUtzFSCMGEY/n5ePTfEhVNFNkH7Sh69OW++5UhY"
    "DpnafJCjJj5zQUDASpTrIwQbzgEy03i3Z8DOxjsQSEBOl7obsH2AdgCpOAdPmgnxlMzo7b"
    "l0VoDxP/JoBbN0xnG26GZZbaGBNyStxhjeIb4GchYmWGr8vgTMSbntoO0TQrjDvb53vN+d"
    "rYM35crFm4/F8V4Ax3m0bEObAWdWBvCU4BEiLr1/vwbilCsXcT4WR9y2zJwvW8HunIPdpW"
    "sCWIcp0H3Z/WEtXo+VUckjmsu0BHa9xXKn3x20BP5H3OSrb67z0Tfzv/lmUgHI0ajdRg8Z"
    "WriwKMAA51jOqFxCA3dUcFcq8E/4/drIi+Gwx548d5xfJid01QTG1/0LhWLPoadMiHByd6"
    "AmACfWPcQaXFh6xgnTxSQb7oRUAnD6BrvC+2xXZ8uUreAP6V3jQ+PjebPxkbLwVQaUDwX6"
    "SMMadxHjqHboCEFzmA1tXDKBrOGJnvo/DvEYpy9oDLG59LZPAa5qt6+MVbn/Jfaxd2RVYS"
    "MSpy4T1DfJ4yZ4iPC1q14J7Fb4PhwoSQcz4FO/i2xNwCWWhq1HDRgRX86n+qjFtO4ujA21"
    "HpestV4VrfsYRdTOV88Cvsl9JAphhDug3z8C6nbFRiJnLXDunQzD5oldfh5BE3Bg09+AF5"
    "up9BEHqP1n/3v3qVEcLcnKAzI9NJfmSQrAYMpfic3NZvKw6llThC9phOfaUMxIKMTGT4oS"
    "Cybj1CYr1n1kGBz37ifU+VkQsQd1mqESaYaIctYNyCIiRxiKNdYKfhsFwW8jHfzWHtSx2d"
    "I8D6qELd2luRjBCX2PmcpCmyxzERsvNBf2ilPjUdLuzUVtFapgFSZgjsylVg7zmNA2oU+f"
    "UPvMRf8fhJOpibK5z7jU0SX2m401TG2zkWtp2VAcZvi0QFQJGxjauOQRGtoDMawZQWpGbs"
    "LZLDHhbNOT8vZNrd/t69eGD/Tk20TFcclay1XWch0V5dvJ44qKEme3XdKzjIjs1q+sylZ+"
    "wbFMBZlxdNPQXlo2RFP8GS5TZd/s1Kzfn3SYkKZSs5Rsg8cgqox+UPTd6RvDVUmxLY/bck"
    "cRn18raufGS9Z16DgFsXuK66Q4gvdMIhd49UD+J0Fl9r7H/mqhPJ+JXRoHFsMfVihUkYi+"
    "SsY014eqSI6Rl+8yzie/rJd/IgW1w+2eQDei9YhXdks3EcREm7uE1yA1v6/1hdbXE+EmUb"
    "32qQadK05Z2MiyEVlGaeH8mY8OhrPnCIbTkwVDhbNSq05cpy6tVeMAJojkNeDlZPt8gSMs"
    "q0lrldWkgrKalC6rRVeWwlmFTzkNXwmxjdA+oLSA8k2NWTMf0jd9+dvbmEXrDQeffPaICt"
    "q94UUCee+kyfy4X+4uDaX32F+qDjvDkgcIl2kJ7HqLuwPty2j4aaSMxy0hcnOLO9S2twR2"
    "vcVtedBWej2l0xKCn+IG+2X73ahRy5HqjHxZZ1Hx/bVISiUV1ht+pdjd4r7S6V73qfwtvu"
    "p+umoJ51Q1o67abcu9ltBYUyOrPspz6UMzaKFkN0Xdk+O+3OulWyhDi17GEQ+l6kRm1Zzw"
    "WCLTmi9YCmGjVGZCttZ0lTX9AG0n09vI7S6PSOzv2Hy3K59u253l6TCthL+cLX0M7twe/h"
    "+rLr7ko3/ExZe6qf/ItJ7X1B/VOk8Qlay5RWXqoltx0S1IwNVVt6KqW/STqlLZTYY20mdi"
    "RirbGzkpSmaDkKcyjbG53mjmfs5wRD31VbePcCuOaH7uNtfPz/dG8x39o8jf7uI/1NmmKo"
    "Gwx36E6O7Gw7cwgTjD0ft7PBzkJSMCkaSHh3Qi/CuYyNlZ0Po6Vp+BUZweT2bCE+4Be8BF"
    "ln+wT2P2/B9n5Cwm"
)

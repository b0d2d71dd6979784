# 电话受理：选择来电人，并查看其问题（web/console/intake.rs）。
intake-caller = 来电人
intake-caller-unknown = 尚未确定
intake-caller-choose = 选择来电人
intake-caller-open = 来电人的未结问题
intake-org-open = 该客户的未结问题
intake-none-open = 没有未结问题。
intake-recently-closed = 最近关闭
intake-none-closed = 还没有已关闭的问题。

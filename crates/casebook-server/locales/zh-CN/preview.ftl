# 附件预览（web/attachment_view.rs）。
preview = 预览
preview-back = 返回问题
preview-download = 下载
preview-none = 此文件无法在此显示，请下载后打开。
preview-find = 查找
preview-matches = 共 { $number } 行匹配：
preview-more-matches = （只列出前 200 行）
preview-lines = 共 { $number } 行
preview-page = 页
preview-previous = 上一页
preview-next = 下一页

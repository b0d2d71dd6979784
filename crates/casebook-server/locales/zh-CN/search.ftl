# 搜索同义词（web/console/synonyms.rs）。
synonyms-title = 同义词
synonyms-new = 新建同义词组
synonyms-edit = 编辑
synonyms-delete = 删除
synonyms-none = 没有同义词：搜索只查找输入的词。
synonyms-explained = 搜索同义词组中的任一个词，也会找到同组的其他词（搜索“磁盘”也会找到“硬盘”和 disk）。修改对下一次搜索立即生效，无需重建索引。
field-synonym-words = 词语（以逗号分隔）

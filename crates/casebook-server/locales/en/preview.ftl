# Attachment previews (web/attachment_view.rs).
preview = Preview
preview-back = Back to case
preview-download = Download
preview-none = This file cannot be shown here; download it to open it.
preview-find = Find
preview-matches = { $number ->
    [one] One line matches:
   *[other] { $number } lines match:
}
preview-more-matches = (only the first 200 are listed)
preview-lines = { $number ->
    [one] One line
   *[other] { $number } lines
}
preview-page = Page
preview-previous = Previous page
preview-next = Next page

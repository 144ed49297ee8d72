"""Text a participant or a content file might hold, for the documents' escaping tests: markup, an attribute
break-out, half characters (lone surrogates, as a JSON or YAML escape gives them) and right-to-left overrides."""

HOSTILE = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "half \ud83d of an emoji",
    "\udfff",
    "pair \ud83d\ude00 joined",
    "\u202eevil\u202c and after",
    "\u202ethe rest of the line",
)

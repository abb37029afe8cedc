"""事项目录: service items, their standard guides, departments and halls, and pinyin search.
Modules: items (reads and per-request loaders), admin (writing items), search, halls (Art. 22 names)."""

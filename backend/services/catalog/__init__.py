"""事项目录: service items, their standard guides, departments and halls, pinyin search, the catalog's version.
Modules: items (reads, loaders), admin (writing items), search, halls (Art. 22 names), version (cache key)."""

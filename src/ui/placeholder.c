/* Placeholder until the ui module's first source lands; keeps the library non-empty. */
int ds_ui_placeholder(void);
int ds_ui_placeholder(void) { return 0; }

/* Placeholder until the data module's first source lands; keeps the library non-empty. */
int ds_data_placeholder(void);
int ds_data_placeholder(void) { return 0; }

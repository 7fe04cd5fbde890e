/* Placeholder until the lesson module's first source lands; keeps the library non-empty. */
int ds_lesson_placeholder(void);
int ds_lesson_placeholder(void) { return 0; }

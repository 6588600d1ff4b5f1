// Operations use-cases (replay, rebuild, dead-letter redrive, connector status, pause/resume): see issue 10.
export {};

// Shadowed by plain.js: Lambda tries .js before .mjs.
export const handler = async () => "from plain.mjs";

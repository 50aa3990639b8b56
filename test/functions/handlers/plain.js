// An ES module with the .js extension, resolved when the handler setting names no extension.
export const handler = async () => "from plain.js";

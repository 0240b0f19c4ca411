/** The service version shown by `GET /health`. */
export const VERSION = "0.1.0";

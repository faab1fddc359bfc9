import type { AuthService } from './auth-service';

/** The services resolvers call; built in src/server.ts. */
export interface Services {
  auth: AuthService;
}

/**
 * TypeBox, for services that build their route schemas with it. A subpath of its own: TypeBox is
 * about 400 ES modules (11 MB of RSS), and a service without TypeBox schemas (the game server)
 * does not load it.
 */
export { Type, type Static, type TSchema } from 'typebox';

import './style.css';
import { App } from './ui/app';

/** The game server's URL, fixed at build time (VITE_GAME_URL); defaults to the page's own origin. */
const apiUrl = import.meta.env.VITE_GAME_URL || location.origin;
const root = document.getElementById('app');
if (root) new App(root, apiUrl);

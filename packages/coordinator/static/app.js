// @ts-check
// modfleet status page: plain browser JavaScript modules, no framework, no build step, no network
// beyond this coordinator. The route paths and the shapes of the answers come from the HTTP
// contract in @modfleet/common, which the coordinator serves beside this page under ./contract/.
import { byId } from './dom.js';
import { initLoginPanel, logout } from './login-panel.js';
import { onVisibilityChange, whenCredentialsRefused } from './poller.js';

byId('logout', HTMLButtonElement).addEventListener('click', () => logout('You have logged out.', 'info'));
document.addEventListener('visibilitychange', onVisibilityChange);
whenCredentialsRefused(() =>
  logout('Your credentials are no longer accepted (the user was changed or removed). Sign in again.'),
);
initLoginPanel();

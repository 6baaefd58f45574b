"""Extensions created unbound; create_app attaches them."""
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please log in."
csrf = CSRFProtect()

"""course/server"""
